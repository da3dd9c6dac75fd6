ardour {
	["type"]    = "dsp",
	name        = "Neurorack check notes",
	category    = "Utility",
	license     = "MIT",
	description = [[Plays the fixed notes of scripts/ardour-check.sh at exact session positions: a MIDI
sequencer in front of the instrument, because Ardour 7.3's headless Lua cannot create a MIDI region.]]
}

-- Note on times in samples at 48 kHz (0.5, 1.5, 2.5 s), numbers, velocities and one length (0.25 s).
-- ardour-check.sh checks the export against the same numbers.
local NOTES = { { 24000, 60, 127 }, { 72000, 64, 80 }, { 120000, 67, 40 } }
local LENGTH = 12000

function dsp_ioconfig ()
	return { { midi_in = 1, midi_out = 1, audio_in = 0, audio_out = 0 } }
end

function dsp_run (_, _, n_samples)
	local t0 = Session:transport_sample ()
	local k = 1
	local function tx (at, data)
		if at >= t0 and at < t0 + n_samples then
			midiout[k] = { time = at - t0 + 1, data = data } -- times are 1-based
			k = k + 1
		end
	end
	if not Session:transport_rolling () then return end
	for _, n in ipairs (NOTES) do
		tx (n[1], { 0x90, n[2], n[3] })
		tx (n[1] + LENGTH, { 0x80, n[2], 0 })
	end
end
