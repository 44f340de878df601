package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/configs"
)

// The whole chain as a guard sees it: a sensor publishes an alert to a real
// Mosquitto, and the incident shows on the live page of a real headless
// Chromium, logged in through the login page, within a second.
func TestConsoleBrowserSeesSensorAlert(t *testing.T) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("install chromium (apt-get install -y chromium): %v", err)
	}
	b := mosquittotest.Start(t, mosquittotest.Options{})
	dir := t.TempDir()
	cfgPath := shippedConfig(t, dir)
	cfg, err := configs.LoadConsole(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sn := cfg.Sites()[0].Sensors[0]
	base, _, log := startConsole(t, cfgPath, b.URL(), filepath.Join(dir, "console.db"))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1600, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, tcancel := context.WithTimeout(ctx, 60*time.Second)
	defer tcancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), configs.DemoPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("panel")),
	); err != nil {
		t.Fatalf("login: %v\n%s", err, log)
	}
	time.Sleep(300 * time.Millisecond) // the page's event stream and the console's SUBSCRIBE

	sensor, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	tok := sensor.Publish(alerting.Topic("", site, sn.ID, alerting.KindAlert), 1, false, sensorAlert(sn.ID, sn.Wing, "browser-call", 0, -58, sent.UTC()))
	tok.Wait()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('[id^="inc-"]')`))
		if err == nil && ok {
			break
		}
		if time.Since(sent) > 10*time.Second {
			t.Fatalf("no incident on the page 10 s after the alert\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	lat := time.Since(sent)
	t.Logf("alert published → incident on the live page: %v", lat)
	if lat > time.Second {
		t.Errorf("incident on the page after %v, want within 1 s", lat)
	}
}
