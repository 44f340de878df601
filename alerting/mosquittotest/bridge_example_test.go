package mosquittotest_test

import (
	"fmt"

	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

// The topics a site broker forwards to the central broker: status, health
// and alerts at QoS 1, out only; bursts stay on the site.
func ExampleSiteBridgeTopics() {
	for _, tp := range mosquittotest.SiteBridgeTopics("cellsentry/v1", "fresnes") {
		fmt.Println("topic", tp)
	}
	// Output:
	// topic cellsentry/v1/fresnes/+/status out 1
	// topic cellsentry/v1/fresnes/+/health out 1
	// topic cellsentry/v1/fresnes/+/alert out 1
}
