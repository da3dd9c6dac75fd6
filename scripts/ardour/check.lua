-- Headless Ardour session for scripts/ardour-check.sh (run by ardour7-lua). Arguments come from the
-- environment: NR_SESSION_DIR, NR_EXPORT_DIR, NR_PLUGIN_URI, NR_MODE (create | reload).
local dir, out, uri, mode = os.getenv ("NR_SESSION_DIR"), os.getenv ("NR_EXPORT_DIR"), os.getenv ("NR_PLUGIN_URI"), os.getenv ("NR_MODE")
local RATE = 48000
local END = 168000 -- export range: 3.5 s
local OFFSET_PORT = "Offset brightness (std)" -- the non-default control saved with the session
local OFFSET_VALUE = 1.25
local PRESET = "8f2d1c0e-6a4b-4f5e-9a7d-3c1b2e4f5a60" -- export preset written by ardour-check.sh

local function fail (msg) print ("FAIL: " .. msg) os.exit (1) end

assert (AudioEngine:set_backend ("None (Dummy)", "", ""), "no Dummy backend")
local t
if mode == "create" then
	if not create_session (dir, "check", RATE) then fail ("create_session " .. dir) end
	local pi = ARDOUR.LuaAPI.new_plugin_info (uri, ARDOUR.PluginType.LV2)
	if pi:isnil () then fail ("Ardour lists no LV2 plugin " .. uri .. " (LV2_PATH=" .. tostring (os.getenv ("LV2_PATH")) .. ")") end
	local tl = Session:new_midi_track (ARDOUR.ChanCount (ARDOUR.DataType ("midi"), 1), ARDOUR.ChanCount (ARDOUR.DataType ("audio"), 2),
		true, pi, nil, nil, 1, "Neurorack", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
	if tl:size () ~= 1 then fail ("new_midi_track") end
	t = tl:front ()
	local seq = ARDOUR.LuaAPI.new_luaproc (Session, "Neurorack check notes")
	if seq:isnil () then fail ("Lua DSP 'Neurorack check notes' not found") end
	if t:add_processor_by_index (seq, 0, nil, true) ~= 0 then fail ("add sequencer") end
else
	if not load_session (dir, "check") then fail ("load_session " .. dir) end
	t = Session:route_by_name ("Neurorack")
	if t:isnil () then fail ("no track 'Neurorack' after reload") end
end

-- the instrument and its control
local plug
for i = 0, 8 do
	local p = t:nth_plugin (i)
	if p:isnil () then break end
	if not p:to_insert ():isnil () and p:to_insert ():plugin (0):unique_id () == uri then plug = p end
end
if not plug then fail ("no " .. uri .. " on the track") end
local ins = plug:to_insert ()
local pl = ins:plugin (0)
print ("plugin: " .. pl:name () .. " (" .. pl:unique_id () .. ")")
local port, nth = -1, 0 -- the LuaAPI's parameter numbers count control inputs only
for j = 0, pl:parameter_count () - 1 do
	if pl:parameter_is_control (j) and pl:parameter_is_input (j) then
		if pl:parameter_label (j) == OFFSET_PORT then port = nth end
		nth = nth + 1
	end
end
if port < 0 then fail ("no control '" .. OFFSET_PORT .. "'") end
local v = ARDOUR.LuaAPI.get_plugin_insert_param (ins, port, false)
print (string.format ("%s = %.3f", OFFSET_PORT, v))
if mode == "create" then
	ARDOUR.LuaAPI.set_plugin_insert_param (ins, port, OFFSET_VALUE)
elseif math.abs (v - OFFSET_VALUE) > 1e-6 then
	fail (string.format ("after reload %s = %g, saved %g", OFFSET_PORT, v, OFFSET_VALUE))
end

-- export the master bus, 0 .. END
local e = Session:simple_export ()
e:set_folder (out)
e:set_name (mode)
e:set_range (0, END)
if not e:set_preset (PRESET) then fail ("export preset " .. PRESET .. " not found") end
local t0 = ARDOUR.LuaAPI.monotonic_time ()
if not e:run_export () then fail ("export failed") end
print (string.format ("export: %.2f s", (ARDOUR.LuaAPI.monotonic_time () - t0) / 1e6))

if mode == "create" then Session:save_state ("", false, false, false, false, false) end
close_session ()
print ("OK " .. mode)
