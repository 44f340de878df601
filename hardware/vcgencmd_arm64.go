package hardware

// defaultVcgencmd is the fallback command for the throttling flags: Pi OS
// ships vcgencmd on its ARM builds.
const defaultVcgencmd = "vcgencmd"
