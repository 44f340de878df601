package mqttpub_test

import (
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/alerting/mqttpub"
)

// The waits between connection attempts with the default backoffs, at
// their lowest (the random part r = 0): network failures start at 1 s,
// refused credentials or certificates at 1 min.
func ExampleBackoff_Delay() {
	for attempt := 1; attempt <= 8; attempt++ {
		fmt.Printf("attempt %d: %v, auth %v\n", attempt,
			mqttpub.DefaultBackoff.Delay(attempt, 0), mqttpub.DefaultAuthBackoff.Delay(attempt, 0).Round(time.Second))
	}
	// Output:
	// attempt 1: 1s, auth 1m0s
	// attempt 2: 2s, auth 2m0s
	// attempt 3: 4s, auth 4m0s
	// attempt 4: 8s, auth 8m0s
	// attempt 5: 16s, auth 10m0s
	// attempt 6: 32s, auth 10m0s
	// attempt 7: 1m0s, auth 10m0s
	// attempt 8: 1m0s, auth 10m0s
}
