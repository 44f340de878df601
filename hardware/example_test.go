package hardware_test

import (
	"fmt"

	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/cellsentry/cellsentry/hardware"
)

// A board on periph's fake pins, as the daemon's tests drive it: the LED
// shows a new state at once, the alarm sounds until switched off, Close
// leaves everything dark.
func ExampleNew() {
	led, buzzer, lid := &gpiotest.Pin{N: "LED"}, &gpiotest.Pin{N: "BUZ"}, &gpiotest.Pin{N: "LID"}
	b, err := hardware.New(hardware.Config{TamperPull: "none"}, hardware.Pins{LED: led, Buzzer: buzzer, Tamper: lid}, nil)
	if err != nil {
		panic(err)
	}
	b.SetState(hardware.StateNoBroker) // 1.8 s on: still on when read
	b.Alarm(true)
	fmt.Println(b.State(), "led", led.Read(), "buzzer", buzzer.Read(), "tampered", b.Tampered())
	b.Close()
	fmt.Println("closed: led", led.Read(), "buzzer", buzzer.Read())
	// Output:
	// no-broker led High buzzer High tampered false
	// closed: led Low buzzer Low
}
