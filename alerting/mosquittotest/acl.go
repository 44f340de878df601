package mosquittotest

import (
	"fmt"
	"strings"
)

// ProductACL is the broker ACL the product ships for one site: a sensor
// (any user that is not a console) may write only under
// <prefix>/<site>/<its own user name>/ and read nothing; a console user
// reads everything under <prefix>/, writes the site's incidents
// (<prefix>/<site>/incident) and announces itself to the other console
// instances of its shared group (<prefix>/_consoles/…, see
// alerting/subscribe).
//
// The sensor rule is a mosquitto "pattern" with %u, so one line serves
// every sensor and the user name (or the certificate's common name with
// use_identity_as_username) is the sensor id; mosquitto refuses the
// substitution for user names containing '+', '#' or '/', so a name cannot
// widen its own rule.
func ProductACL(prefix, site string, consoles ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# cellsentry: sensors write only their own topics and read nothing\n")
	fmt.Fprintf(&b, "pattern write %s/%s/%%u/#\n", prefix, site)
	for _, c := range consoles {
		fmt.Fprintf(&b, "\n# console\nuser %s\n", c)
		fmt.Fprintf(&b, "topic read %s/#\n", prefix)
		fmt.Fprintf(&b, "topic write %s/%s/incident\n", prefix, site)
		fmt.Fprintf(&b, "topic write %s/_consoles/#\n", prefix)
	}
	return b.String()
}
