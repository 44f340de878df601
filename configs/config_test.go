package configs

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	return c
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestGood loads the good configs and checks the values they give: the
// file's, the defaults, and those derived from other fields.
func TestGood(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, c *Config)
	}{
		{"good-minimal.yaml", func(t *testing.T, c *Config) {
			want := Default()
			if c.Sensor.ID != "wing-a-1" || c.Sensor.Site != "test-site" || c.Sensor.Mode != "actual" || c.Sensor.Position != nil {
				t.Errorf("sensor %+v", c.Sensor)
			}
			d := c.Radio.Dongles
			if len(d) != 1 || d[0].Name != "dongle0" || d[0].Source != "rtlsdr://0" || d[0].Gain != (Gain{DB: 40}) || d[0].PPM == nil || *d[0].PPM != 0 {
				t.Errorf("dongles %+v", d)
			}
			if got := d[0].Bands; !slices.Equal(got, []string{"b28-ul", "b20-ul", "gsm900-ul", "dcs1800-ul"}) {
				t.Errorf("dongle bands %v, want every preset", got)
			}
			if !reflect.DeepEqual(c.Scan.Weights, map[string]int{"b28-ul": 1, "b20-ul": 1, "gsm900-ul": 1, "dcs1800-ul": 1}) {
				t.Errorf("weights %v", c.Scan.Weights)
			}
			if c.Detection.Hop != 256 || c.Detection.FFTSize != 256 || c.Detection.Window != "tukey" || !c.Detection.Rhythm || c.Detection.FalsePerHour != 0.5 {
				t.Errorf("detection %+v", c.Detection)
			}
			if c.MQTT.ClientID != "cellsentry-test-site-wing-a-1" || c.MQTT.Broker != want.MQTT.Broker || c.MQTT.Prefix != alerting.DefaultPrefix {
				t.Errorf("mqtt %+v", c.MQTT)
			}
			if c.StateDir != "/var/lib/cellsentry" || c.MQTT.Queue.Dir != "/var/lib/cellsentry/queue" || c.Alerting.Evidence.Dir != "/var/lib/cellsentry/evidence" {
				t.Errorf("paths %q %q %q", c.StateDir, c.MQTT.Queue.Dir, c.Alerting.Evidence.Dir)
			}
			// The alerting defaults are the tracker's measured ones.
			if a := c.Alerting; a.RaiseConfidence != track.DefaultRaiseConfidence || a.MinBursts != track.DefaultMinBursts ||
				a.UpdateInterval.D() != track.DefaultUpdateInterval || a.ClearAfter.D() != track.DefaultClearAfter {
				t.Errorf("alerting %+v, want alerting/track's defaults", a)
			}
			if c.Alerting.ClearAfter.D() != 30*time.Second || c.Scan.Dwell.D() != 250*time.Millisecond || c.Metrics.Listen != "127.0.0.1:9475" {
				t.Errorf("alerting %+v, scan %+v, metrics %+v", c.Alerting, c.Scan, c.Metrics)
			}
		}},
		{"good-short-radio.yaml", func(t *testing.T, c *Config) {
			d := c.Radio.Dongles
			if len(d) != 1 || d[0].Name != "dongle0" || d[0].Source != "rtltcp://10.0.0.5:1234" || !d[0].Gain.Auto || !d[0].BiasTee || *d[0].PPM != -12.5 {
				t.Errorf("dongles %+v", d)
			}
			if r := c.Radio; r.Source != "" || r.Gain != nil || r.PPM != nil || r.BiasTee != nil || r.SampleRate != 2.048e6 {
				t.Errorf("radio short form left in place: %+v", r)
			}
			if !slices.Equal(d[0].Bands, []string{"gsm900-ul", "gsm-r-test"}) {
				t.Errorf("bands %v", d[0].Bands)
			}
			if b, ok := c.Band("gsm-r-test"); !ok || b.Low != 876e6 || b.High != 880e6 || b.Preset {
				t.Errorf("custom band %+v %v", b, ok)
			}
			if c.Scan.Weights["gsm900-ul"] != 3 || c.Scan.Weights["gsm-r-test"] != 1 {
				t.Errorf("weights %v", c.Scan.Weights)
			}
			dir := abs(t, "testdata")
			for _, p := range []struct{ name, got, want string }{
				{"state_dir", c.StateDir, filepath.Join(dir, "state")},
				{"evidence", c.Alerting.Evidence.Dir, filepath.Join(dir, "state", "ev")},
				{"queue (absolute)", c.MQTT.Queue.Dir, "/data/queue"},
				{"password", c.MQTT.PasswordFile, filepath.Join(dir, "secrets", "mqtt-password")},
				{"ca", c.MQTT.CAFile, filepath.Join(dir, "ca.pem")},
				{"cert (absolute)", c.MQTT.CertFile, "/etc/cellsentry/lab-1.crt"},
				{"key", c.MQTT.KeyFile, filepath.Join(dir, "lab-1.key")},
			} {
				if p.got != p.want {
					t.Errorf("%s: %q, want %q", p.name, p.got, p.want)
				}
			}
			// Its custom band is revisited every 34.5 s: the default
			// clear_after is raised to twice that.
			if c.Alerting.ClearAfter.D() != 69*time.Second || len(c.Warnings()) != 1 || !strings.Contains(c.Warnings()[0].Msg, "raised to 1m9s") {
				t.Errorf("clear_after %s, warnings %v", c.Alerting.ClearAfter, c.Warnings())
			}
			if c.MQTT.Queue.MaxSize != 200e6 || c.Metrics.Listen != "" || c.Sensor.Mode != alerting.ModeTest {
				t.Errorf("queue %v, metrics %q, mode %q", c.MQTT.Queue.MaxSize, c.Metrics.Listen, c.Sensor.Mode)
			}
			s, err := c.SourceSpec(0)
			if err != nil || s.Kind != uri.RTLTCP || s.Addr != "10.0.0.5:1234" || s.Rate != 2.048e6 || !s.GainSet || !s.GainAuto || s.PPM != -12.5 {
				t.Errorf("source spec %+v, %v", s, err)
			}
			// Automatic gain has no calibration.
			if p := c.Pipeline("gsm900-ul", d[0].Gain); !math.IsNaN(p.CalOffsetDB) {
				t.Errorf("offset at auto gain %v, want NaN", p.CalOffsetDB)
			}
		}},
		{"good-two-dongles.yaml", func(t *testing.T, c *Config) {
			d := c.Radio.Dongles
			if len(d) != 2 || d[0].Name != "low" || d[1].Name != "high" {
				t.Fatalf("dongles %+v", d)
			}
			if *d[0].PPM != 1.5 || *d[1].PPM != 3 || d[0].Gain.DB != 40 || d[1].Gain.DB != 28 {
				t.Errorf("ppm %v %v, gain %v %v: want 1.5 (calibration), 3 (own); 40 (default), 28", *d[0].PPM, *d[1].PPM, d[0].Gain, d[1].Gain)
			}
			if !slices.Equal(d[0].Bands, []string{"b28-ul", "b20-ul"}) || !slices.Equal(d[1].Bands, []string{"gsm900-ul", "dcs1800-ul"}) {
				t.Errorf("bands %v %v (aliases not resolved?)", d[0].Bands, d[1].Bands)
			}
			if !reflect.DeepEqual(c.Detection.BandThresholdDB, map[string]Decibel{"dcs1800-ul": 9.5, "b20-ul": 8}) {
				t.Errorf("band thresholds %v", c.Detection.BandThresholdDB)
			}
			if !reflect.DeepEqual(c.Calibration.OffsetDB, map[string]Decibel{"28": -60, "40.2": -72, "default": -70}) {
				t.Errorf("offsets %v", c.Calibration.OffsetDB)
			}
			for _, pc := range []struct {
				band          string
				gain          Gain
				thr, cal, fph float64
			}{
				{"b3", Gain{DB: 28}, 9.5, -60, 2},
				{"dcs1800-ul", Gain{DB: 28.04}, 9.5, -60, 2},
				{"gsm900-ul", Gain{DB: 40.2}, 0, -72, 2},
				{"b20-ul", Gain{DB: 33}, 8, -70, 2},
			} {
				p := c.Pipeline(pc.band, pc.gain)
				if p.ThresholdDB != pc.thr || p.CalOffsetDB != pc.cal || p.FalsePerHour != pc.fph || p.Channelizer.Size != 256 || p.DisableRhythm {
					t.Errorf("Pipeline(%s, %v) = %+v; want threshold %v, offset %v", pc.band, pc.gain, p, pc.thr, pc.cal)
				}
			}
			if x, ok := c.Excluded(886.2e6); !ok || x.Name != "repeater" {
				t.Errorf("886.2 MHz not excluded")
			}
			if _, ok := c.Excluded(886.4e6); ok {
				t.Errorf("886.4 MHz excluded")
			}
			p, err := c.Plan(1)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Bands(), []string{"gsm900-ul", "dcs1800-ul"}) || p.Visits("dcs1800-ul") != 2 || p.Visits("gsm900-ul") != 1 {
				t.Errorf("plan of high: bands %v, visits %d %d", p.Bands(), p.Visits("gsm900-ul"), p.Visits("dcs1800-ul"))
			}
			if _, err := c.Plan(2); err == nil {
				t.Error("Plan(2) of two dongles: no error")
			}
			s, err := c.SourceSpec(1)
			if err != nil || s.Serial != "00000002" || s.Gain != 28 || s.GainAuto || s.PPM != 3 || s.Rate != 2.4e6 {
				t.Errorf("source spec %+v, %v", s, err)
			}
			o := c.Origin()
			if o.Site != "test-site" || o.Sensor != "wing-c-3" || o.Building != "C" || o.Wing != "C3" || o.Position == nil || *o.Position != (alerting.Position{X: -3.5, Y: 120, Floor: -1}) {
				t.Errorf("origin %+v", o)
			}
			if got := c.Topic(alerting.KindAlert); got != "cellsentry/v1/test-site/wing-c-3/alert" {
				t.Errorf("topic %q", got)
			}
		}},
		{"good-anchors.yaml", func(t *testing.T, c *Config) {
			d := c.Radio.Dongles
			if len(d) != 2 || d[1].Name != "b" || d[1].Gain.DB != 33.8 || !d[1].BiasTee || !slices.Equal(d[1].Bands, []string{"gsm900-ul", "dcs1800-ul"}) {
				t.Errorf("merged dongle %+v", d)
			}
			if c.Alerting.UpdateInterval.D() != 45*time.Second || c.MQTT.HealthInterval.D() != 45*time.Second {
				t.Errorf("aliased durations %v %v", c.Alerting.UpdateInterval, c.MQTT.HealthInterval)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tc.check(t, mustLoad(t, filepath.Join("testdata", tc.file)))
		})
	}
}

// TestWarnings: problems that do not stop a sensor are reported apart.
func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"none", "sensor: {id: a, site: b}\n", nil},
		{"ppm given twice", "sensor: {id: a, site: b}\nradio: {ppm: 3}\ncalibration: {ppm: 1}\n",
			[]string{"w.yaml:2:14: radio.ppm 3ppm overrides calibration.ppm 1ppm for dongle0"}},
		{"rtl_tcp settle", "sensor: {id: a, site: b}\nradio: {source: \"rtltcp://h:1234\"}\n",
			[]string{"w.yaml:1:1: scan.settle 5ms: dongle0 is an rtl_tcp source, which gives no marker of when a retune took effect: give it at least 50ms"}},
		{"custom band clipped", "sensor: {id: a, site: b}\nscan: {bands: [{name: top, low: 1750MHz, high: 1800MHz}]}\n",
			[]string{"w.yaml:2:16: scan.bands[0]: band top is heard only from 1750MHz to 1764.8MHz, the tuner's range"}},
		{"metrics on the network", "sensor: {id: a, site: b}\nmetrics: {listen: \":9475\"}\n",
			[]string{"w.yaml:2:19: metrics.listen \":9475\": the metrics are reachable from the network, not only from this Pi"}},
		{"password in clear", "sensor: {id: a, site: b}\nmqtt: {broker: \"tcp://10.1.1.1:1883\", username: a, password_file: p}\n",
			[]string{"w.yaml:2:16: mqtt.broker tcp://10.1.1.1:1883: the password goes in clear over the network: use ssl://"}},
		{"default clear_after raised to the update interval", "sensor: {id: a, site: b}\nalerting: {update_interval: 45s}\n",
			[]string{"w.yaml:2:1: alerting.clear_after (default 30s) raised to alerting.update_interval 45s: an alert must not clear before its first update"}},
		{"default clear_after raised by a long scan", "sensor: {id: a, site: b}\nscan: {dwell: 500ms}\n",
			[]string{"w.yaml:1:1: alerting.clear_after (default 30s) raised to 1m28s, twice the time between two visits of band b28-ul (44s on dongle0), so that alerts do not clear between visits"}},
		{"exclusion outside the bands", "sensor: {id: a, site: b}\ndetection: {exclusions: [{low: 466MHz, high: 467MHz}]}\n",
			[]string{"w.yaml:2:26: detection.exclusions[0] (466MHz–467MHz) lies in no scan band: it changes nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("w.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestBad: each broken file gives exactly these errors, all of them, in
// file order, each with file:line:col.
func TestBad(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"bad-band-beyond-tuner.yaml", []string{
			"testdata/bad-band-beyond-tuner.yaml:5:7: scan.bands[1]: band umts2100-ul (1920MHz–1980MHz) is outside what the tuner hears (25.2MHz–1764.8MHz with radio.sample_rate 2.4MHz): remove it, or set radio.tuner_min/tuner_max if your tuner reaches it",
		}},
		{"bad-band-no-dongle.yaml", []string{
			"testdata/bad-band-no-dongle.yaml:3:20: scan.bands[2]: band dcs1800-ul is scanned by no dongle: add it to one dongle's bands",
		}},
		{"bad-band-two-dongles.yaml", []string{
			"testdata/bad-band-two-dongles.yaml:5:25: radio.dongles[1].bands[0]: band gsm900-ul is already scanned by a: a band belongs to one dongle",
		}},
		{"bad-broker.yaml", []string{
			"testdata/bad-broker.yaml:3:11: mqtt.broker: broker \"broker.site\": no scheme: write tcp://broker.site (or ssl:// for TLS)",
			"testdata/bad-broker.yaml:4:18: mqtt.password_file is given without mqtt.username: the broker needs both",
		}},
		{"bad-calibration.yaml", []string{
			"testdata/bad-calibration.yaml:4:5: calibration.offset_db: key \"forty\": want a tuner gain in dB from 0 to 60 (e.g. \"40.2\") or default",
			"testdata/bad-calibration.yaml:5:13: calibration.offset_db[\"40.2\"] -500dB: must be from -200dB to 50dB (dBm − dBFS at that gain; cellsentry calibrate --power measures it)",
			"testdata/bad-calibration.yaml:6:8: calibration.ppm 900ppm: must be from -500ppm to 500ppm (cellsentry calibrate measures it)",
		}},
		{"bad-cert-without-key.yaml", []string{
			"testdata/bad-cert-without-key.yaml:4:14: mqtt.cert_file is given without mqtt.key_file: a client certificate needs its key (and the key its certificate)",
		}},
		{"bad-clear-after.yaml", []string{
			"testdata/bad-clear-after.yaml:5:16: alerting.clear_after 30s: shorter than the time between two visits of band b28-ul (1m28s on dongle0): alerts would clear between visits; give at least 2m56s, or shorten the scan",
		}},
		{"bad-duplicate-dongle.yaml", []string{
			"testdata/bad-duplicate-dongle.yaml:5:14: radio.dongles[1].name \"usb\": radio.dongles[0] has the same name: give each dongle its own",
		}},
		{"bad-duplicate-key.yaml", []string{
			"testdata/bad-duplicate-key.yaml:5:3: scan.dwell is given twice (first on line 3): delete one",
		}},
		{"bad-dwell-settle.yaml", []string{
			"testdata/bad-dwell-settle.yaml:3:10: scan.dwell 20ms: not longer than scan.settle 50ms: nothing would be heard; make dwell longer (typically 50× settle)",
		}},
		{"bad-empty-item.yaml", []string{
			"testdata/bad-empty-item.yaml:5:6: scan.bands[1] is an empty list item: write a value or delete the line",
			"testdata/bad-empty-item.yaml:6:7: scan.bands[2]: unknown band \"b7\" (known: b28-ul, b20-ul, gsm900-ul, dcs1800-ul, or b3, b8, b20, b28); a band of your own is {name: x, low: 880MHz, high: 915MHz}",
			"testdata/bad-empty-item.yaml:7:17: scan.weights.b8 has no value: write one or delete the line",
		}},
		{"bad-empty-value.yaml", []string{
			"testdata/bad-empty-value.yaml:3:9: scan.dwell has no value: write one, or delete the line to keep the default (250ms)",
		}},
		{"bad-evidence-ring.yaml", []string{
			"testdata/bad-evidence-ring.yaml:5:10: alerting.evidence.pre 1.5s: longer than alerting.evidence.ring 1s, which holds the IQ from before an alert; lengthen the ring or shorten pre",
			"testdata/bad-evidence-ring.yaml:6:11: alerting.evidence.pre 1.5s + post 1s = 2.5s: longer than a recording may be (2s); shorten pre or post",
		}},
		{"bad-evidence-size.yaml", []string{
			"testdata/bad-evidence-size.yaml:4:15: alerting.evidence.max_size 2MiB: below one recording (1s of ci16 at 2.4MHz, 9.6MB): must be at least 10MiB (and at most 1TiB)",
		}},
		{"bad-exclusion.yaml", []string{
			"testdata/bad-exclusion.yaml:4:45: detection.exclusions[0].high 886.1MHz: not above low 886.3MHz",
		}},
		{"bad-fft.yaml", []string{
			"testdata/bad-fft.yaml:3:13: detection.fft_size 300: must be a power of two from 16 to 8192 (default 256)",
			"testdata/bad-fft.yaml:5:11: detection.window: unknown window \"kaiser\" (known: [tukey hann blackman-harris rect])",
		}},
		{"bad-many.yaml", []string{
			"testdata/bad-many.yaml:5:33: sensor.position.floor: want a whole number, not \"1.5\"",
			"testdata/bad-many.yaml:7:16: radio.sample_rate 10MHz: must be from 1MHz to 3.2MHz (an RTL-SDR's range; 2.4MHz is reliable, above 2.56MHz samples drop)",
			"testdata/bad-many.yaml:9:3: unknown field \"dwel\" in scan (did you mean \"dwell\"?)",
			"testdata/bad-many.yaml:11:17: detection.threshold_db 60dB: must be from 1dB to 40dB, or 0dB for thresholds from false_per_hour",
			"testdata/bad-many.yaml:15:15: alerting.min_bursts 0: must be from 2 to 64 (one burst must never raise an alert)",
			"testdata/bad-many.yaml:17:14: mqtt.keepalive 2s: must be from 5s to 20m",
			"testdata/bad-many.yaml:19:12: hardware.led_pin: \"GPIO1\" is not a GPIO pin: want GPIO2 to GPIO27 (BCM numbering, as printed by pinout), or \"\" for none",
			"testdata/bad-many.yaml:22:12: state_dir is empty: name a directory the daemon may write (default /var/lib/cellsentry)",
		}},
		{"bad-missing-id.yaml", []string{
			"testdata/bad-missing-id.yaml:1:1: sensor.id is required: the sensor's name, unique on the site (e.g. wing-b-2f-east)",
			"testdata/bad-missing-id.yaml:2:9: sensor.site: name \"site/one\": only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not '/'",
		}},
		{"bad-mode.yaml", []string{
			"testdata/bad-mode.yaml:4:9: sensor.mode \"drill\": must be actual, test (acceptance tests with a test phone) or exercise (drills)",
			"testdata/bad-mode.yaml:6:10: logging.level \"verbose\": must be debug, info, warn or error",
			"testdata/bad-mode.yaml:7:11: logging.format \"xml\": must be text or json",
			"testdata/bad-mode.yaml:9:11: metrics.listen \"localhost\": want host:port (127.0.0.1:9475), or \"\" to turn metrics off",
		}},
		{"bad-no-unit.yaml", []string{
			"testdata/bad-no-unit.yaml:3:10: scan.dwell: \"250\" has no unit: write e.g. 250ms or 250s",
		}},
		{"bad-out-of-range.yaml", []string{
			"testdata/bad-out-of-range.yaml:3:19: detection.false_per_hour 500: must be more than 0 and at most 100 (false bursts per hour the thresholds are set for; default 0.5)",
			"testdata/bad-out-of-range.yaml:5:21: alerting.raise_confidence 1.5: must be more than 0 and at most 1 (the evidence an alert needs; default 0.8)",
		}},
		{"bad-password.yaml", []string{
			"testdata/bad-password.yaml:4:3: unknown field \"password\" in mqtt: a password is never written in the config: put it in a file only the cellsentry user can read and name that file with password_file",
		}},
		{"bad-pins.yaml", []string{
			"testdata/bad-pins.yaml:5:15: hardware.tamper_pin GPIO17: also hardware.led_pin: each pin drives one thing",
			"testdata/bad-pins.yaml:6:15: hardware.buzzer_pin: \"GPIO40\" is not a GPIO pin: want GPIO2 to GPIO27 (BCM numbering, as printed by pinout), or \"\" for none",
		}},
		{"bad-queue-small.yaml", []string{
			"testdata/bad-queue-small.yaml:4:15: mqtt.queue.max_size 1KiB: below one alert (16KiB), the queue could hold nothing: must be from 16KiB to 1TiB (default 64MiB)",
		}},
		{"bad-root-list.yaml", []string{
			"testdata/bad-root-list.yaml:1:1: the file: want a mapping of fields (name: value), not a list",
		}},
		{"bad-short-and-long.yaml", []string{
			"testdata/bad-short-and-long.yaml:3:9: radio.gain is the short form for a single dongle, and radio.dongles is given too: move it into the dongle's entry",
		}},
		{"bad-source.yaml", []string{
			"testdata/bad-source.yaml:4:25: radio.dongles[0].source: source \"rtlsdr://0?freq=902.4M\": freq is set by the scan plan: remove freq= from the URI",
			"testdata/bad-source.yaml:5:25: radio.dongles[1].source: source \"usb://1\": unknown scheme \"usb\" (known: rtlsdr, rtltcp, file, sim)",
		}},
		{"bad-syntax.yaml", []string{
			"testdata/bad-syntax.yaml:6:2: YAML syntax: did not find expected key (check the indentation around this line: a key lines up with the keys beside it, under its parent and indented)",
		}},
		{"bad-tab.yaml", []string{
			"testdata/bad-tab.yaml:3:1: a tab character: YAML indents with spaces only (replace the tab with spaces)",
		}},
		{"bad-tls-files-plain.yaml", []string{
			"testdata/bad-tls-files-plain.yaml:4:12: mqtt.ca_file is given but mqtt.broker tcp://broker.site:1883 is not TLS: use ssl:// (port 8883) or remove ca_file",
		}},
		{"bad-tuner-max.yaml", []string{
			"testdata/bad-tuner-max.yaml:4:14: scan.bands[3]: band dcs1800-ul (1710MHz–1785MHz) is outside what the tuner hears (25.2MHz–1098.8MHz with radio.sample_rate 2.4MHz): remove it, or set radio.tuner_min/tuner_max if your tuner reaches it",
		}},
		{"bad-two-documents.yaml", []string{
			"testdata/bad-two-documents.yaml:2:1: a second YAML document (after a --- line): a sensor config is one document; delete the --- line or split the file",
		}},
		{"bad-unknown-band.yaml", []string{
			"testdata/bad-unknown-band.yaml:3:15: scan.bands[1]: unknown band \"b7\" (known: b28-ul, b20-ul, gsm900-ul, dcs1800-ul, or b3, b8, b20, b28); a band of your own is {name: x, low: 880MHz, high: 915MHz}",
		}},
		{"bad-unknown-far.yaml", []string{
			"testdata/bad-unknown-far.yaml:3:3: unknown field \"antenna\" in radio (known: sample_rate, tuner_min, tuner_max, dongles, source, gain, ppm, bias_tee)",
		}},
		{"bad-unknown-key.yaml", []string{
			"testdata/bad-unknown-key.yaml:5:3: unknown field \"dwel\" in scan (did you mean \"dwell\"?)",
		}},
		{"bad-unknown-section.yaml", []string{
			"testdata/bad-unknown-section.yaml:2:1: unknown field \"alerts\" at the top level (did you mean \"alerting\"?)",
		}},
		{"bad-weights.yaml", []string{
			"testdata/bad-weights.yaml:4:5: scan.weights: \"b7\" is not a scan band (scan.bands: b28-ul, b20-ul, gsm900-ul, dcs1800-ul)",
			"testdata/bad-weights.yaml:5:9: scan.weights.b8 0: must be from 1 to 100 (visits of each of the band's hops per cycle)",
		}},
		{"bad-wrong-type.yaml", []string{
			"testdata/bad-wrong-type.yaml:3:10: scan.bands: want a list (- item per line, or [a, b]), not \"b8\"",
			"testdata/bad-wrong-type.yaml:5:13: detection.fft_size: want a whole number, not \"large\"",
			"testdata/bad-wrong-type.yaml:6:11: detection.rhythm: want true or false, not \"yes\"",
			"testdata/bad-wrong-type.yaml:7:14: calibration: want a mapping of fields (name: value), not a list",
		}},
		{"bad-wrong-unit.yaml", []string{
			"testdata/bad-wrong-unit.yaml:3:16: radio.sample_rate: \"2.4 Msps\" is not a frequency (examples: 902.4MHz, 1.8GHz, 200kHz, 880000000)",
			"testdata/bad-wrong-unit.yaml:6:15: mqtt.queue.max_size: \"64 megs\" is not a size (examples: 64MiB, 200MB, 512KiB)",
		}},
	}
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d bad-*.yaml files, %d cases: give every file a case", len(files), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tc.file))
			if c != nil {
				t.Errorf("a config came back with the error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestShipped: the example a technician copies is valid as shipped, gives
// no warning, and plans every dongle.
func TestShipped(t *testing.T) {
	c := mustLoad(t, "sensor.yaml")
	for _, w := range c.Warnings() {
		t.Errorf("warning: %v", w)
	}
	for i := range c.Radio.Dongles {
		if _, err := c.Plan(i); err != nil {
			t.Errorf("plan of dongle %d: %v", i, err)
		}
		if _, err := c.SourceSpec(i); err != nil {
			t.Errorf("source of dongle %d: %v", i, err)
		}
	}
	// Every field of the schema appears in the example, so that the
	// example documents them all.
	text, err := os.ReadFile("sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range fieldNames(reflect.TypeFor[Config]()) {
		if !regexp.MustCompile(`(?m)^[ #-]*` + regexp.QuoteMeta(name) + `:`).Match(text) {
			t.Errorf("sensor.yaml does not mention %s", name)
		}
	}
}

// fieldNames lists the yaml names of every field reachable from t.
func fieldNames(t reflect.Type) []string {
	var out []string
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[Config]().PkgPath() || t == reflect.TypeFor[Gain]() {
		return nil
	}
	for _, f := range fieldsOf(t) {
		out = append(out, f.name)
		out = append(out, fieldNames(t.Field(f.index).Type)...)
	}
	return out
}

// TestRoundTrip: the effective configuration reads back to itself, so
// that check-config's output is a valid config and the hash is stable.
func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/good-*.yaml")
	files = append(files, "sensor.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := mustLoad(t, f)
			eff := c.Effective()
			back, err := Parse("/elsewhere/effective.yaml", eff)
			if err != nil {
				t.Fatalf("effective config does not parse:\n%v\n%s", err, eff)
			}
			if string(back.Effective()) != string(eff) || back.Hash() != c.Hash() {
				t.Errorf("round trip changed the config:\n%s\n---\n%s", eff, back.Effective())
			}
			if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(c.Hash()) {
				t.Errorf("hash %q", c.Hash())
			}
		})
	}
}

// TestHash: comments, order and spelled-out defaults do not change the
// hash; a value does.
func TestHash(t *testing.T) {
	base := "sensor: {id: a, site: b}\nscan: {dwell: 300ms}\n"
	h := func(s string) string {
		t.Helper()
		c, err := Parse("h.yaml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c.Hash()
	}
	want := h(base)
	for _, tc := range []struct {
		name, yaml string
		same       bool
	}{
		{"comments", "# hello\n" + base + "# bye\n", true},
		{"order", "scan: {dwell: 300ms}\nsensor: {site: b, id: a}\n", true},
		{"defaults spelled out", base + "detection: {fft_size: 256, hop: 256}\nmqtt: {prefix: cellsentry/v1}\n", true},
		{"same value other unit", "sensor: {id: a, site: b}\nscan: {dwell: 0.3s}\n", true},
		{"alias of a band", "sensor: {id: a, site: b}\nscan: {dwell: 300ms, weights: {b8: 1}}\n", true},
		{"another dwell", "sensor: {id: a, site: b}\nscan: {dwell: 301ms}\n", false},
		{"another mode", base + "sensor: {id: a, site: b, mode: test}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.yaml
			if tc.name == "another mode" {
				y = "sensor: {id: a, site: b, mode: test}\nscan: {dwell: 300ms}\n"
			}
			if got := h(y); (got == want) != tc.same {
				t.Errorf("hash %s, base %s: same %v, want %v", got, want, got == want, tc.same)
			}
		})
	}
}

// TestLoadSideEffects: Load only reads. A bad file gives no config (the
// daemon keeps its old one), and loading another file leaves an earlier
// config as it was.
func TestLoadSideEffects(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	path := filepath.Join(dir, "s.yaml")
	body := "sensor: {id: a, site: b}\nstate_dir: " + state + "\nmqtt: {broker: \"ssl://h:8883\", username: u, password_file: pw, ca_file: ca.pem}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, path)
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load made or touched %s: %v", state, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the config's directory holds %d entries after Load, want 1", len(entries))
	}
	before := string(c.Effective())
	other := mustLoad(t, "testdata/good-two-dongles.yaml")
	other.Scan.Bands[0].Name = "changed"
	other.Detection.BandThresholdDB["x"] = 1
	if string(c.Effective()) != before {
		t.Error("loading and changing another config changed this one")
	}
	if d := Default(); d.Scan.Bands[0].Name == "changed" {
		t.Error("defaults share state with a loaded config")
	}
	bad, err := Load("testdata/bad-many.yaml")
	if bad != nil || err == nil {
		t.Errorf("bad file: config %v, err %v", bad, err)
	}
}

// TestSections: replay reads detection and calibration from a file that
// may hold anything else; Parse of the same file refuses it.
func TestSections(t *testing.T) {
	data := []byte("site: {name: x}\ndetection: {false_per_hour: 2, band_threshold_db: {b8: 9}}\ncalibration: {offset_db: {default: -74}}\n")
	c, err := ParseSections("r.yaml", data, "detection", "calibration")
	if err != nil {
		t.Fatal(err)
	}
	if c.Detection.FalsePerHour != 2 || c.Calibration.OffsetFor(Gain{DB: 12}) != -74 {
		t.Errorf("detection %+v, calibration %+v", c.Detection, c.Calibration)
	}
	if p := c.Pipeline("gsm900-ul", Gain{DB: 1}); p.ThresholdDB != 9 {
		t.Errorf("band threshold through an alias: %v", p.ThresholdDB)
	}
	_, err = Parse("r.yaml", data)
	want := "r.yaml:1:1: unknown field \"site\" at the top level (known: sensor, radio, scan, detection, calibration, alerting, mqtt, hardware, logging, metrics, state_dir)\n" +
		"r.yaml:1:1: sensor.id is required: the sensor's name, unique on the site (e.g. wing-b-2f-east)\n" +
		"r.yaml:1:1: sensor.site is required: the site's short name (e.g. fresnes)"
	if err == nil || err.Error() != want {
		t.Errorf("Parse: %v\nwant:\n%s", err, want)
	}
	// Errors inside a chosen section still count.
	_, err = ParseSections("r.yaml", []byte("detection: {hop: -1}\nradio: {bogus: 1}\n"), "detection")
	if err == nil || err.Error() != "r.yaml:1:18: detection.hop -1: must be from 1 to detection.fft_size 256 (samples between frame starts)" {
		t.Errorf("ParseSections: %v", err)
	}
	if _, err := ParseSections("r.yaml", data, "detectoin"); err == nil || !strings.Contains(err.Error(), `unknown section "detectoin"`) {
		t.Errorf("unknown section: %v", err)
	}
}

// TestErrorTypes: callers get the problems one by one.
func TestErrorTypes(t *testing.T) {
	_, err := Load("testdata/bad-pins.yaml")
	var one *Error
	if !errors.As(err, &one) || one.Field != "hardware.tamper_pin" || one.Line != 5 || one.Column != 15 || one.File != "testdata/bad-pins.yaml" {
		t.Errorf("first error %+v", one)
	}
	_, err = Load("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "no-such-file.yaml") {
		t.Errorf("missing file: %v", err)
	}
	big := make([]byte, maxFile+1)
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "big.yaml: the file is larger than") {
		t.Errorf("big file: %v", err)
	}
}

func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("pw", 0o600)
	write("ca.pem", 0o644)
	write("open.key", 0o644)
	if err := os.Mkdir(filepath.Join(dir, "crt"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := func(body string) *Config {
		path := filepath.Join(dir, "s.yaml")
		if err := os.WriteFile(path, []byte("sensor: {id: a, site: b}\nmqtt:\n  broker: ssl://h:8883\n  username: u\n"+body), 0o600); err != nil {
			t.Fatal(err)
		}
		return mustLoad(t, path)
	}
	if err := cfg("  password_file: pw\n  ca_file: ca.pem\n").CheckFiles(); err != nil {
		t.Errorf("good files: %v", err)
	}
	err := cfg("  password_file: missing\n  ca_file: ca.pem\n  cert_file: crt\n  key_file: open.key\n").CheckFiles()
	s := filepath.Join(dir, "s.yaml")
	want := []string{
		s + ":5:18: mqtt.password_file: open " + filepath.Join(dir, "missing") + ": no such file or directory",
		s + ":7:14: mqtt.cert_file " + filepath.Join(dir, "crt") + ": a directory, not a file",
		s + ":8:13: mqtt.key_file " + filepath.Join(dir, "open.key") + ": every user of the Pi can read this secret (mode 0644): chmod o-r it",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("CheckFiles:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"bands", "dwell", "settle", "weights"}
	for _, tc := range []struct{ in, want string }{
		{"dwel", "dwell"},
		{"Dwell", "dwell"},
		{"setle", "settle"},
		{"weight", "weights"},
		{"band", "bands"},
		{"wei", "weights"},
		{"frequencies", ""},
		{"x", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := suggest(tc.in, fields); got != tc.want {
				t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"dwel", "dwell", 1}, {"same", "same", 0}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}

func TestParseBroker(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"tcp://broker:1883", ""},
		{"ssl://broker.site:8883", ""},
		{"wss://broker:443/mqtt", ""},
		{"broker:1883", "unknown scheme"},
		{"http://broker:80", `unknown scheme "http"`},
		{"tcp://broker", "no port"},
		{"tcp://:1883", "no host"},
		{"tcp://u:secret@broker:1883", "credentials in the URL"},
		{"tcp://broker:1883/x", "a path is only for ws"},
		{"tcp://broker:99999", "not 1–65535"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseBroker(tc.in)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// FuzzParse: any input gives a config or errors that say where, never a
// panic; an accepted config reads back from its effective form.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "sensor.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not Errors", err)
			}
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 1 || e.Msg == "" {
					t.Fatalf("error without its place: %+v", e)
				}
			}
			return
		}
		back, err := Parse("f.yaml", c.Effective())
		if err != nil {
			t.Fatalf("effective config does not parse: %v\n%s", err, c.Effective())
		}
		if back.Hash() != c.Hash() {
			t.Fatalf("round trip changed the hash:\n%s\n---\n%s", c.Effective(), back.Effective())
		}
	})
}

// TestAliasBomb: nested merge keys that would expand to 10^29 values stop
// at the node bound, quickly, with one error.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &m0 {gain: 1}\n")
	for i := 1; i < 30; i++ {
		b.WriteString("x" + strconv.Itoa(i) + ": &m" + strconv.Itoa(i) + " {<<: [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*m" + strconv.Itoa(i-1))
		}
		b.WriteString("]}\n")
	}
	b.WriteString("radio: {dongles: [{<<: *m29}]}\n")
	_, err := ParseSections("bomb.yaml", []byte(b.String()), "radio")
	want := "bomb.yaml:1:16: the file has more than 100000 values (aliases included): it cannot be a sensor config"
	if err == nil || err.Error() != want {
		t.Errorf("err %v, want %q", err, want)
	}
}

// BenchmarkParse: the cost of checking the shipped example, which the
// daemon pays at start and at every SIGHUP.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("sensor.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("sensor.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
