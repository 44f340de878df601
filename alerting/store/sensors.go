package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// Sensor is what the console knows of one sensor: its last status and
// health, and the operators' shelving and out-of-service state.
type Sensor struct {
	Site, ID, Wing string
	Building       string
	// Online is the last status message's state; Reason why it went
	// offline ("connection lost" for the last will, "shutdown").
	Online bool
	Reason string
	// LastSeen is the latest time any message of the sensor carried
	// (status, health, alert); zero if it was never heard.
	LastSeen time.Time
	// Health is the last health message (nil before the first).
	Health *alerting.Health
	// ShelvedUntil is set while the sensor is shelved (zero otherwise, and
	// once the time has passed), ShelvedBy who shelved it.
	ShelvedUntil time.Time
	ShelvedBy    string
	// OutOfService: taken out of service for maintenance, by OutOfServiceBy.
	OutOfService   bool
	OutOfServiceBy string
	// Note is the note of the last shelving or out-of-service action.
	Note string
}

// checkOrigin validates a sensor's site and name.
func checkOrigin(what, site, sensor string) error {
	switch {
	case site == "":
		return fmt.Errorf("%s of sensor %q: empty site: %w", what, sensor, ErrInvalid)
	case sensor == "":
		return fmt.Errorf("%s of site %s: empty sensor: %w", what, site, ErrInvalid)
	case strings.Contains(site, "/") || strings.Contains(sensor, "/"):
		return fmt.Errorf("%s of %s/%s: '/' in a site or sensor name: %w", what, site, sensor, ErrInvalid)
	}
	return nil
}

// Upserts keep a known wing or building when a message carries none, and
// last_seen only moves forward. A status is applied whatever its time: the
// last will carries the time its connection opened, not the time of the
// loss, so the order of arrival is the truth. A health message older than
// the stored one (a QoS 1 redelivery) only moves last_seen.
const (
	statusUpsert = `INSERT INTO sensors (site, id, wing, building, online, reason, last_seen, status_time)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
		ON CONFLICT (site, id) DO UPDATE SET
			wing = CASE WHEN excluded.wing <> '' THEN excluded.wing ELSE wing END,
			building = CASE WHEN excluded.building <> '' THEN excluded.building ELSE building END,
			online = excluded.online, reason = excluded.reason,
			last_seen = NULLIF(max(COALESCE(last_seen, 0), COALESCE(excluded.last_seen, 0)), 0),
			status_time = excluded.status_time`
	healthUpsert = `INSERT INTO sensors (site, id, wing, building, last_seen, health, health_time)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)
		ON CONFLICT (site, id) DO UPDATE SET
			wing = CASE WHEN excluded.wing <> '' THEN excluded.wing ELSE wing END,
			building = CASE WHEN excluded.building <> '' THEN excluded.building ELSE building END,
			last_seen = max(COALESCE(last_seen, 0), excluded.last_seen),
			health = CASE WHEN health_time IS NULL OR excluded.health_time >= health_time THEN excluded.health ELSE health END,
			health_time = max(COALESCE(health_time, 0), excluded.health_time)`
)

// checkStatus validates a status message.
func checkStatus(st *alerting.Status) error {
	if st.State != "online" && st.State != "offline" {
		return fmt.Errorf("status of %s/%s: state %q is not online or offline: %w", st.Site, st.Sensor, st.State, ErrInvalid)
	}
	return nil
}

// saveStatus upserts one status inside the transaction of st.
func (st *writeStmts) saveStatus(ctx context.Context, s *alerting.Status) error {
	if _, err := st.status.ExecContext(ctx, s.Site, s.Sensor, s.Wing, s.Building, s.State == "online", s.Reason, nsOf(s.Time)); err != nil {
		return fmt.Errorf("status of %s/%s: %w", s.Site, s.Sensor, err)
	}
	return nil
}

// checkHealth validates a health message.
func checkHealth(h *alerting.Health) error {
	if h.Time.IsZero() {
		return fmt.Errorf("health of %s/%s: time is zero: %w", h.Site, h.Sensor, ErrInvalid)
	}
	return nil
}

// saveHealth upserts the health of one sensor inside the transaction of
// st; wing and building are the latest non-empty ones the batch carried
// for the sensor (they may come from an earlier message than h).
func (st *writeStmts) saveHealth(ctx context.Context, h *alerting.Health, wing, building string) error {
	doc, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("health of %s/%s: encode: %w", h.Site, h.Sensor, err)
	}
	if _, err := st.health.ExecContext(ctx, h.Site, h.Sensor, wing, building, h.Time.UnixNano(), doc); err != nil {
		return fmt.Errorf("health of %s/%s: %w", h.Site, h.Sensor, err)
	}
	return nil
}

// SaveStatus records a sensor's status message (online/offline).
func (s *Store) SaveStatus(ctx context.Context, st *alerting.Status) error {
	_, err := s.Ingest(ctx, &Batch{Statuses: []*alerting.Status{st}})
	return err
}

// SaveHealth records a sensor's health message.
func (s *Store) SaveHealth(ctx context.Context, h *alerting.Health) error {
	_, err := s.Ingest(ctx, &Batch{Healths: []*alerting.Health{h}})
	return err
}

// DeclareSensor records a sensor of the site plan, so that one never heard
// shows as offline and never seen rather than not at all. A wing or
// building already known is replaced only by a non-empty one.
func (s *Store) DeclareSensor(ctx context.Context, site, id, wing, building string) error {
	if err := checkOrigin("declaration", site, id); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sensors (site, id, wing, building) VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (site, id) DO UPDATE SET
				wing = CASE WHEN excluded.wing <> '' THEN excluded.wing ELSE wing END,
				building = CASE WHEN excluded.building <> '' THEN excluded.building ELSE building END`,
			site, id, wing, building)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: declare sensor %s/%s: %w", site, id, err)
	}
	return nil
}

// Sensors lists the sensors of a site ("" for every site), by site and id.
func (s *Store) Sensors(ctx context.Context, site string) ([]Sensor, error) {
	q := `SELECT site, id, wing, building, online, reason, last_seen, health, shelved_until, shelved_by,
		out_of_service, oos_by, note FROM sensors`
	var args []any
	if site != "" {
		q += ` WHERE site = ?`
		args = append(args, site)
	}
	q += ` ORDER BY site, id`
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sensors: %w", err)
	}
	defer rows.Close()
	now := s.now()
	out := []Sensor{}
	for rows.Next() {
		var (
			x                 Sensor
			lastSeen, shelved sql.NullInt64
			health            []byte
		)
		if err := rows.Scan(&x.Site, &x.ID, &x.Wing, &x.Building, &x.Online, &x.Reason, &lastSeen, &health,
			&shelved, &x.ShelvedBy, &x.OutOfService, &x.OutOfServiceBy, &x.Note); err != nil {
			return nil, fmt.Errorf("store: sensors: %w", err)
		}
		x.LastSeen = timeOf(lastSeen)
		if t := timeOf(shelved); t.After(now) {
			x.ShelvedUntil = t
		} else {
			x.ShelvedBy = ""
		}
		if !x.OutOfService {
			x.OutOfServiceBy = ""
		}
		if health != nil {
			x.Health = new(alerting.Health)
			if err := json.Unmarshal(health, x.Health); err != nil {
				return nil, fmt.Errorf("store: sensor %s/%s: stored health: %w", x.Site, x.ID, err)
			}
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sensors: %w", err)
	}
	return out, nil
}

// parseSensorRef splits "site/sensor"; a plain "sensor" has site "".
func parseSensorRef(ref string) (site, sensor string, err error) {
	site, sensor, ok := strings.Cut(ref, "/")
	if !ok {
		site, sensor = "", ref
	}
	if sensor == "" || (ok && site == "") || strings.Contains(sensor, "/") {
		return "", "", fmt.Errorf("sensor %q: want SENSOR or SITE/SENSOR: %w", ref, ErrInvalid)
	}
	return site, sensor, nil
}

// sensorState is the suppression state of one sensor, read in a write
// transaction.
type sensorState struct {
	site, id     string
	shelvedUntil time.Time
	shelvedBy    string
	oos          bool
	oosBy        string
}

// findSensor resolves "sensor" or "site/sensor" to one known sensor: a
// bare name that several sites use is ambiguous (ErrInvalid).
func findSensor(ctx context.Context, q querier, ref string) (sensorState, error) {
	site, id, err := parseSensorRef(ref)
	if err != nil {
		return sensorState{}, err
	}
	query := `SELECT site, id, shelved_until, shelved_by, out_of_service, oos_by FROM sensors WHERE id = ?1`
	args := []any{id}
	if site != "" {
		query += ` AND site = ?2`
		args = append(args, site)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY site LIMIT 10`, args...)
	if err != nil {
		return sensorState{}, fmt.Errorf("sensor %s: %w", ref, err)
	}
	defer rows.Close()
	var found []sensorState
	for rows.Next() {
		var (
			x       sensorState
			shelved sql.NullInt64
		)
		if err := rows.Scan(&x.site, &x.id, &shelved, &x.shelvedBy, &x.oos, &x.oosBy); err != nil {
			return sensorState{}, fmt.Errorf("sensor %s: %w", ref, err)
		}
		x.shelvedUntil = timeOf(shelved)
		found = append(found, x)
	}
	if err := rows.Err(); err != nil {
		return sensorState{}, fmt.Errorf("sensor %s: %w", ref, err)
	}
	switch len(found) {
	case 0:
		return sensorState{}, fmt.Errorf("sensor %s: %w", ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	sites := make([]string, len(found))
	for i, f := range found {
		sites[i] = f.site
	}
	return sensorState{}, fmt.Errorf("sensor %s is in sites %s: name it SITE/SENSOR: %w", ref, strings.Join(sites, ", "), ErrInvalid)
}

var errNoUser = errors.New("empty user")
