// Package configs is the configuration of cellsentry's programs: the
// schema of the YAML files technicians write, their defaults, and the
// checks that make them hard to get silently wrong. There are three kinds
// of file, each with a documented example beside this package:
//
//   - a sensor's config (configs/sensor.yaml; Load, Parse → Config),
//   - the control-room console's config (configs/console.yaml;
//     LoadConsole, ParseConsole → Console), which lists
//   - the site plans (configs/site.yaml; LoadSite, ParseSite → Site):
//     buildings, wings as polygons in metres, walls, the outer boundary,
//     the sensors with their positions and the bands they hear (and, from
//     the band table UplinkBands, those they cannot), and the path-loss
//     model of the localization.
//
// All of them decode strictly: an unknown key is an error that names
// the nearest known one, every error carries file:line:col, the field's
// path and the allowed range, and all errors are reported at once (as
// Errors). Values carry units (902.4MHz, 250ms, 8dB, 64MiB, 12ppm, 400d)
// through the small types Frequency, Duration, Decibel, Gain, Size, PPM,
// Pin and Period. Beyond ranges the checks look at sense across fields: a
// band the tuner cannot reach, a dwell not longer than the settle time,
// evidence longer than its ring, a queue smaller than one alert, two
// hardware functions on one pin, a certificate without its key, a band
// given to two dongles, an alert clearing faster than its band is
// revisited; a console without an admin, a plain password where a bcrypt
// hash belongs (never echoed back), a sensor in a wing the plan does not
// have, a wing outline that crosses itself. What does not stop a program
// but deserves a look comes back as warnings (a password or alerts over a
// plain connection to another host, an anonymous broker connection, the
// shipped demo password, wings that overlap, a sensor outside its wing).
//
// Loading is side-effect free (it reads the files), so a daemon can check
// a new file on SIGHUP and keep running on the old config when it fails;
// CheckFiles looks at the files a config names (credentials, floor-plan
// images). A loaded config gives its program what it builds from: for the
// sensor the pipeline.Config of a band, the hop plan and source URI of
// each dongle, the alerting.Origin, the effective YAML and its Hash; for
// the console the subscriber's configuration (Subscribe), the users in
// alerting/web's layout, and each site's floor plan (Site.Plan).
//
// Relative paths are taken from the directory of the file that names
// them: a sensor's state_dir and MQTT files, the console's store, site
// plans and MQTT files, a site plan's images. A sensor's queue and
// evidence directories are taken from its state_dir.
package configs
