package mosquittotest_test

import (
	"fmt"

	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

// The ACL the product ships, for site "north" with one console user.
func ExampleProductACL() {
	fmt.Print(mosquittotest.ProductACL("cellsentry/v1", "north", "console"))
	// Output:
	// # cellsentry: sensors write only their own topics and read nothing
	// pattern write cellsentry/v1/north/%u/#
	//
	// # console
	// user console
	// topic read cellsentry/v1/#
	// topic write cellsentry/v1/north/incident
	// topic write cellsentry/v1/_consoles/#
}
