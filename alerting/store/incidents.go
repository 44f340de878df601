package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// baseAlarm is the ISA-18.2 state before sensor suppression (see the
// package doc). incidentUpsert computes the same in SQL; a test checks that
// they agree.
func baseAlarm(active, acked, resolved bool) string {
	switch {
	case resolved:
		return alerting.AlarmClosed
	case active && !acked:
		return alerting.AlarmUnacknowledged
	case active:
		return alerting.AlarmAcknowledged
	case !acked:
		return alerting.AlarmClearedUnacknowledged
	default:
		return alerting.AlarmClosed
	}
}

// Suppression of an incident by its sensors, evaluated at :now. An incident
// is suppressed when it concerns at least one sensor and every sensor it
// concerns is out of service or shelved past :now; a sensor the store does
// not know is never suppressed.
const (
	concerned = `EXISTS (SELECT 1 FROM incident_sensors x WHERE x.incident_id = i.id)`
	// notSuppressed: a concerned sensor that still alarms.
	notSuppressed = `EXISTS (SELECT 1 FROM incident_sensors x LEFT JOIN sensors s ON s.site = x.site AND s.id = x.sensor
		WHERE x.incident_id = i.id AND (s.id IS NULL OR (s.out_of_service = 0 AND COALESCE(s.shelved_until, 0) <= :now)))`
	// inService: a concerned sensor that is not out of service.
	inService = `EXISTS (SELECT 1 FROM incident_sensors x LEFT JOIN sensors s ON s.site = x.site AND s.id = x.sensor
		WHERE x.incident_id = i.id AND (s.id IS NULL OR s.out_of_service = 0))`
	suppressed = `(` + concerned + ` AND NOT ` + notSuppressed + `)`
	alarmExpr  = `CASE WHEN i.base_alarm = 'closed' THEN 'closed'
		WHEN ` + suppressed + ` THEN (CASE WHEN ` + inService + ` THEN 'shelved' ELSE 'out-of-service' END)
		ELSE i.base_alarm END`
)

// incidentCols are the columns scanIncident reads, in order.
const incidentCols = `i.doc, i.acked_by, i.acked_at, i.resolution, i.resolved_by, i.resolved_at, i.note, ` + alarmExpr

// incidentUpsert inserts or updates the fusion-owned columns of an
// incident; triggers keep incident_sensors in step with sensor_set (see
// migration 0004). On update the operator columns are kept and the base alarm
// state and closed_at are recomputed from them and the new Active (unquoted
// columns in DO UPDATE are the stored row's).
const incidentUpsert = `INSERT INTO incidents
	(id, site, kind, mode, class, wing, sensor, first_seen, last_seen, active, doc, sensor_set, base_alarm, closed_at)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL)
	ON CONFLICT (id) DO UPDATE SET
		site = excluded.site, kind = excluded.kind, mode = excluded.mode, class = excluded.class,
		wing = excluded.wing, sensor = excluded.sensor, first_seen = excluded.first_seen,
		last_seen = excluded.last_seen, active = excluded.active, doc = excluded.doc,
		sensor_set = excluded.sensor_set,
		base_alarm = CASE
			WHEN resolution <> '' OR merged_into <> '' THEN 'closed'
			WHEN excluded.active AND acked_at IS NULL THEN 'unacknowledged'
			WHEN excluded.active THEN 'acknowledged'
			WHEN acked_at IS NULL THEN 'cleared-unacknowledged'
			ELSE 'closed' END,
		closed_at = CASE
			WHEN resolution <> '' THEN resolved_at
			WHEN merged_into <> '' THEN closed_at
			WHEN NOT excluded.active AND acked_at IS NOT NULL THEN max(acked_at, excluded.last_seen)
			ELSE NULL END`

// validKind reports whether k is one of the incident kinds.
func validKind(k string) bool {
	switch k {
	case alerting.IncidentPhone, alerting.IncidentOverload, alerting.IncidentSensorOffline,
		alerting.IncidentSourceLost, alerting.IncidentTamper:
		return true
	}
	return false
}

// checkIncident validates what the store needs of a fusion incident.
func checkIncident(inc *alerting.Incident) error {
	switch {
	case inc.ID == "":
		return fmt.Errorf("incident: empty id: %w", ErrInvalid)
	case inc.Site == "":
		return fmt.Errorf("incident %s: empty site: %w", inc.ID, ErrInvalid)
	case !validKind(inc.Kind):
		return fmt.Errorf("incident %s: kind %q is not one of phone, overload, sensor-offline, source-lost, tamper: %w", inc.ID, inc.Kind, ErrInvalid)
	case inc.FirstSeen.IsZero():
		return fmt.Errorf("incident %s: first_seen is zero: %w", inc.ID, ErrInvalid)
	case inc.LastSeen.Before(inc.FirstSeen):
		return fmt.Errorf("incident %s: last_seen %s before first_seen %s: %w", inc.ID,
			inc.LastSeen.Format(time.RFC3339Nano), inc.FirstSeen.Format(time.RFC3339Nano), ErrInvalid)
	}
	return nil
}

// fusionDoc is the JSON of the fusion-owned part of an incident.
func fusionDoc(inc *alerting.Incident) ([]byte, error) {
	c := *inc
	c.Alarm, c.AckedBy, c.AckedAt = "", "", time.Time{}
	c.Resolution, c.ResolvedBy, c.ResolvedAt, c.Note = "", "", time.Time{}, ""
	return json.Marshal(&c)
}

// sensorSet is the sorted JSON array of the sensors an incident concerns,
// without duplicates: the same set gives the same text whatever the order
// of inc.Sensors, so that the trigger rebuilds incident_sensors only when
// the set changes.
func sensorSet(inc *alerting.Incident) ([]byte, error) {
	set := sensorsOf(inc)
	slices.Sort(set)
	if set == nil {
		set = []string{}
	}
	return json.Marshal(set)
}

// sensorsOf lists the sensors an incident concerns, without duplicates.
func sensorsOf(inc *alerting.Incident) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	add(inc.Sensor)
	for _, h := range inc.Sensors {
		add(h.Sensor)
	}
	return out
}

// writeStmts are the statements of the ingest path, prepared once on the
// writer connection at Open and bound to each transaction.
type writeStmts struct {
	upsert, insAlert, alertSeen, status, health *sql.Stmt
}

func prepareWrite(ctx context.Context, db *sql.DB) (*writeStmts, error) {
	var st writeStmts
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&st.upsert, incidentUpsert},
		{&st.insAlert, `INSERT INTO alerts (alert_id, rev, incident_id, site, sensor, state, time, doc)
			SELECT ?1, ?2, id, ?3, ?4, ?5, ?6, ?7 FROM incidents WHERE id = ?8
			ON CONFLICT (alert_id, rev) DO NOTHING`},
		{&st.alertSeen, `UPDATE sensors SET last_seen = max(COALESCE(last_seen, 0), ?3) WHERE site = ?1 AND id = ?2`},
		{&st.status, statusUpsert},
		{&st.health, healthUpsert},
	} {
		s, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		*p.dst = s
	}
	return &st, nil
}

// in binds the statements to tx; they close with it.
func (st *writeStmts) in(ctx context.Context, tx *sql.Tx) *writeStmts {
	return &writeStmts{
		upsert:    tx.StmtContext(ctx, st.upsert),
		insAlert:  tx.StmtContext(ctx, st.insAlert),
		alertSeen: tx.StmtContext(ctx, st.alertSeen),
		status:    tx.StmtContext(ctx, st.status),
		health:    tx.StmtContext(ctx, st.health),
	}
}

func (st *writeStmts) close() {
	for _, s := range []*sql.Stmt{st.upsert, st.insAlert, st.alertSeen, st.status, st.health} {
		if s != nil {
			s.Close()
		}
	}
}

// saveIncident upserts one incident inside tx.
func (st *writeStmts) saveIncident(ctx context.Context, inc *alerting.Incident) error {
	doc, err := fusionDoc(inc)
	if err != nil {
		return fmt.Errorf("incident %s: encode: %w", inc.ID, err)
	}
	set, err := sensorSet(inc)
	if err != nil {
		return fmt.Errorf("incident %s: encode sensors: %w", inc.ID, err)
	}
	if _, err := st.upsert.ExecContext(ctx,
		// Positional: binding by name costs a search per parameter.
		inc.ID, inc.Site, inc.Kind, inc.Mode, inc.Class, inc.Wing, inc.Sensor, inc.FirstSeen.UnixNano(),
		inc.LastSeen.UnixNano(), inc.Active, doc, set, baseAlarm(inc.Active, false, false),
	); err != nil {
		return fmt.Errorf("incident %s: %w", inc.ID, err)
	}
	return nil
}

// checkAlert validates what the store needs of a sensor alert.
func checkAlert(incidentID string, a *alerting.Alert) error {
	switch {
	case a == nil:
		return fmt.Errorf("alert for incident %s: nil: %w", incidentID, ErrInvalid)
	case a.ID == "":
		return fmt.Errorf("alert for incident %s: empty id: %w", incidentID, ErrInvalid)
	case a.Rev < 0:
		return fmt.Errorf("alert %s: rev %d is negative: %w", a.ID, a.Rev, ErrInvalid)
	case incidentID == "":
		return fmt.Errorf("alert %s rev %d: empty incident id: %w", a.ID, a.Rev, ErrInvalid)
	}
	return nil
}

// seen collects the latest alert time of each sensor in a transaction, so
// that sensors.last_seen is updated once per sensor rather than once per
// alert.
type seen map[[2]string]int64

func (m seen) note(a *alerting.Alert) {
	if a.Time.IsZero() {
		return
	}
	k := [2]string{a.Site, a.Sensor}
	if t := a.Time.UnixNano(); t > m[k] {
		m[k] = t
	}
}

// flush writes the last-seen times.
func (st *writeStmts) flush(ctx context.Context, m seen) error {
	for k, t := range m {
		if _, err := st.alertSeen.ExecContext(ctx, k[0], k[1], t); err != nil {
			return fmt.Errorf("sensor %s/%s: last seen: %w", k[0], k[1], err)
		}
	}
	return nil
}

// addAlert inserts one alert event inside tx; dup when (id, rev) was
// already stored. The incident must exist.
//
// raw, when not nil, is the alert's JSON as received (the subscriber
// validated it against the schema); it is stored as is, which keeps what
// the sensor sent and saves encoding a again.
func (st *writeStmts) addAlert(ctx context.Context, tx *sql.Tx, incidentID string, a *alerting.Alert, raw []byte) (dup bool, err error) {
	doc := raw
	if doc == nil {
		if doc, err = json.Marshal(a); err != nil {
			return false, fmt.Errorf("alert %s rev %d: encode: %w", a.ID, a.Rev, err)
		}
	}
	res, err := st.insAlert.ExecContext(ctx, a.ID, a.Rev, a.Site, a.Sensor, a.State, a.Time.UnixNano(), doc, incidentID)
	if err != nil {
		return false, fmt.Errorf("alert %s rev %d: %w", a.ID, a.Rev, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("alert %s rev %d: %w", a.ID, a.Rev, err)
	}
	if n == 0 {
		// Either a redelivery or no such incident: tell them apart.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = ?`, incidentID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("alert %s rev %d: incident %s: %w", a.ID, a.Rev, incidentID, ErrNotFound)
		}
		if err != nil {
			return false, fmt.Errorf("alert %s rev %d: %w", a.ID, a.Rev, err)
		}
		return true, nil
	}
	return false, nil
}

// SaveIncident inserts or updates inc by its ID and returns it as now
// stored: the fusion-owned fields from inc, the operator fields and the
// alarm state from the store (inc's are ignored).
func (s *Store) SaveIncident(ctx context.Context, inc *alerting.Incident) (alerting.Incident, error) {
	if err := checkIncident(inc); err != nil {
		return alerting.Incident{}, fmt.Errorf("store: save: %w", err)
	}
	var out alerting.Incident
	err := s.write(ctx, false, func(tx *sql.Tx) error {
		st := s.stmts.in(ctx, tx)
		if err := st.saveIncident(ctx, inc); err != nil {
			return err
		}
		var err error
		out, err = getIncident(ctx, tx, inc.ID, s.now())
		return err
	})
	if err != nil {
		return alerting.Incident{}, fmt.Errorf("store: save incident: %w", err)
	}
	return out, nil
}

// SaveIncidents upserts incs in one transaction (the ingest path). An
// invalid incident fails the whole batch, naming its index.
func (s *Store) SaveIncidents(ctx context.Context, incs []alerting.Incident) error {
	_, err := s.Ingest(ctx, &Batch{Incidents: incs})
	return err
}

// AddAlert stores one lifecycle event of a sensor alert behind incident
// incidentID. A redelivery of an event already stored, same (ID, Rev), is
// dropped and reported as dup. The incident must exist (ErrNotFound).
func (s *Store) AddAlert(ctx context.Context, incidentID string, a *alerting.Alert) (dup bool, err error) {
	if err := checkAlert(incidentID, a); err != nil {
		return false, fmt.Errorf("store: add alert: %w", err)
	}
	err = s.write(ctx, false, func(tx *sql.Tx) error {
		st := s.stmts.in(ctx, tx)
		if dup, err = st.addAlert(ctx, tx, incidentID, a, nil); err != nil || dup {
			return err
		}
		m := seen{}
		m.note(a)
		return st.flush(ctx, m)
	})
	if err != nil {
		return false, fmt.Errorf("store: add alert: %w", err)
	}
	return dup, nil
}

// scanIncident reads incidentCols.
func scanIncident(sc interface{ Scan(...any) error }) (alerting.Incident, error) {
	var (
		doc                 []byte
		inc                 alerting.Incident
		ackedAt, resolvedAt sql.NullInt64
		ackedBy, res, resBy string
		note, alarm         string
	)
	if err := sc.Scan(&doc, &ackedBy, &ackedAt, &res, &resBy, &resolvedAt, &note, &alarm); err != nil {
		return inc, err
	}
	if err := json.Unmarshal(doc, &inc); err != nil {
		return inc, fmt.Errorf("stored document: %w", err)
	}
	inc.AckedBy, inc.AckedAt = ackedBy, timeOf(ackedAt)
	inc.Resolution, inc.ResolvedBy, inc.ResolvedAt = res, resBy, timeOf(resolvedAt)
	inc.Note, inc.Alarm = note, alarm
	return inc, nil
}

// getIncidentQuery reads one incident with its alarm state at :now.
const getIncidentQuery = `SELECT ` + incidentCols + ` FROM incidents i WHERE i.id = :id`

// getIncident reads one incident with its alarm state at now.
func getIncident(ctx context.Context, q querier, id string, now time.Time) (alerting.Incident, error) {
	return readIncident(q.QueryRowContext(ctx, getIncidentQuery, sql.Named("id", id), sql.Named("now", now.UnixNano())), id)
}

// readIncident scans the row of getIncidentQuery.
func readIncident(row *sql.Row, id string) (alerting.Incident, error) {
	inc, err := scanIncident(row)
	if errors.Is(err, sql.ErrNoRows) {
		return inc, fmt.Errorf("incident %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return inc, fmt.Errorf("incident %s: %w", id, err)
	}
	return inc, nil
}

// Incident returns one incident (ErrNotFound).
func (s *Store) Incident(ctx context.Context, id string) (alerting.Incident, error) {
	inc, err := readIncident(s.getInc.QueryRowContext(ctx, sql.Named("id", id), sql.Named("now", s.now().UnixNano())), id)
	if err != nil {
		return inc, fmt.Errorf("store: %w", err)
	}
	return inc, nil
}

// Alerts returns the alert events behind an incident, oldest first
// (ErrNotFound when there is no such incident).
func (s *Store) Alerts(ctx context.Context, incidentID string) ([]alerting.Alert, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: alerts of %s: %w", incidentID, err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM incidents WHERE id = ?`, incidentID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: alerts of incident %s: %w", incidentID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: alerts of %s: %w", incidentID, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT doc FROM alerts WHERE incident_id = ? ORDER BY time, alert_id, rev`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of %s: %w", incidentID, err)
	}
	defer rows.Close()
	out := []alerting.Alert{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("store: alerts of %s: %w", incidentID, err)
		}
		var a alerting.Alert
		if err := json.Unmarshal(doc, &a); err != nil {
			return nil, fmt.Errorf("store: alerts of %s: stored document: %w", incidentID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: alerts of %s: %w", incidentID, err)
	}
	return out, nil
}

// DefaultLimit is the number of incidents Incidents returns when
// Filter.Limit is 0.
const DefaultLimit = 500

// Filter selects incidents. Zero fields select everything.
type Filter struct {
	Site, Wing, Kind, Class string
	// Alarm is one of the alerting.Alarm* states, as derived now.
	Alarm string
	Mode  string
	// Sensor: incidents concerning that sensor (a sensor incident's sensor,
	// or one that heard a phone).
	Sensor string
	// Since, Until: incidents active at some time in [Since, Until), that
	// is last_seen ≥ Since and first_seen < Until.
	Since, Until time.Time
	// OpenOnly: incidents not closed (suppressed ones included).
	OpenOnly bool
	// Limit (0: DefaultLimit for Incidents, everything for ExportCSV) and
	// Offset page through the result, newest first.
	Limit, Offset int
}

func validAlarm(a string) bool {
	switch a {
	case alerting.AlarmUnacknowledged, alerting.AlarmAcknowledged, alerting.AlarmClearedUnacknowledged,
		alerting.AlarmClosed, alerting.AlarmShelved, alerting.AlarmOutOfService:
		return true
	}
	return false
}

// where builds the WHERE clause and arguments of f, with :now bound.
func (f *Filter) where(now time.Time) (string, []any, error) {
	if f.Alarm != "" && !validAlarm(f.Alarm) {
		return "", nil, fmt.Errorf("filter: alarm %q is not one of unacknowledged, acknowledged, cleared-unacknowledged, closed, shelved, out-of-service: %w", f.Alarm, ErrInvalid)
	}
	if f.Kind != "" && !validKind(f.Kind) {
		return "", nil, fmt.Errorf("filter: kind %q is not one of phone, overload, sensor-offline, source-lost, tamper: %w", f.Kind, ErrInvalid)
	}
	if f.Limit < 0 || f.Offset < 0 {
		return "", nil, fmt.Errorf("filter: limit %d and offset %d must not be negative: %w", f.Limit, f.Offset, ErrInvalid)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return "", nil, fmt.Errorf("filter: until %s is not after since %s: %w", f.Until.Format(time.RFC3339), f.Since.Format(time.RFC3339), ErrInvalid)
	}
	var conds []string
	args := []any{sql.Named("now", now.UnixNano())}
	eq := func(col, name, v string) {
		if v != "" {
			conds = append(conds, col+" = :"+name)
			args = append(args, sql.Named(name, v))
		}
	}
	eq("i.site", "site", f.Site)
	eq("i.wing", "wing", f.Wing)
	eq("i.kind", "kind", f.Kind)
	eq("i.class", "class", f.Class)
	eq("i.mode", "mode", f.Mode)
	if f.Sensor != "" {
		// EXISTS rather than IN (list): the list form drove the query from
		// every incident of the sensor and sorted them all; this walks the
		// newest-first index and stops at the limit.
		conds = append(conds, `EXISTS (SELECT 1 FROM incident_sensors x WHERE x.incident_id = i.id AND x.sensor = :sensor)`)
		args = append(args, sql.Named("sensor", f.Sensor))
	}
	if !f.Since.IsZero() {
		conds = append(conds, "i.last_seen >= :since")
		args = append(args, sql.Named("since", f.Since.UnixNano()))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "i.first_seen < :until")
		args = append(args, sql.Named("until", f.Until.UnixNano()))
	}
	// notClosed is written exactly as the partial index incidents_open_newest
	// says, so that the planner can use it.
	const notClosed = "i.base_alarm <> 'closed'"
	if f.OpenOnly && f.Alarm != alerting.AlarmClosed {
		conds = append(conds, notClosed)
	}
	switch f.Alarm {
	case "":
	case alerting.AlarmClosed:
		conds = append(conds, "i.base_alarm = 'closed'")
		if f.OpenOnly {
			conds = append(conds, "0")
		}
	case alerting.AlarmShelved:
		conds = append(conds, notClosed, suppressed, inService)
	case alerting.AlarmOutOfService:
		conds = append(conds, notClosed, suppressed, "NOT "+inService)
	default:
		conds = append(conds, notClosed, "i.base_alarm = :alarm", "NOT "+suppressed)
		args = append(args, sql.Named("alarm", f.Alarm))
	}
	if len(conds) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// query runs the incidents query of f; limit ≤ 0 means no limit.
func (s *Store) query(ctx context.Context, f *Filter, limit int) (*sql.Rows, error) {
	where, args, err := f.where(s.now())
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + incidentCols + ` FROM incidents i` + where + ` ORDER BY i.first_seen DESC, i.id DESC`
	if limit > 0 || f.Offset > 0 {
		if limit <= 0 {
			limit = -1
		}
		q += ` LIMIT :limit OFFSET :offset`
		args = append(args, sql.Named("limit", limit), sql.Named("offset", f.Offset))
	}
	return s.r.QueryContext(ctx, q, args...)
}

// Incidents returns the incidents f selects, newest (latest first_seen)
// first.
func (s *Store) Incidents(ctx context.Context, f Filter) ([]alerting.Incident, error) {
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	rows, err := s.query(ctx, &f, limit)
	if err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	defer rows.Close()
	out := []alerting.Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("store: incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: incidents: %w", err)
	}
	return out, nil
}
