package web

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
)

// Store is what the web UI needs of the console's store; *store.Store
// implements it. Errors wrap store.ErrNotFound for an unknown incident or
// sensor, store.ErrConflict for an action the current state does not allow
// and store.ErrInvalid for an argument out of range. The store derives the
// alarm states (suppression by shelving included) and writes the audit
// entries of the operator actions itself, with the remote address that
// store.WithRemote puts in the context.
type Store interface {
	Incident(ctx context.Context, id string) (alerting.Incident, error)
	Alerts(ctx context.Context, incidentID string) ([]alerting.Alert, error)
	Incidents(ctx context.Context, f Filter) ([]alerting.Incident, error)
	Ack(ctx context.Context, id, user, note string) (alerting.Incident, error)
	Resolve(ctx context.Context, id, user, resolution, note string) (alerting.Incident, error)
	Shelve(ctx context.Context, sensor, user string, until time.Time, note string) error
	Unshelve(ctx context.Context, sensor, user, note string) error
	SetOutOfService(ctx context.Context, sensor, user string, on bool, note string) error
	Sensors(ctx context.Context, site string) ([]SensorState, error)
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error)
	ExportCSV(ctx context.Context, w io.Writer, f Filter) error
}

// The store's types, under the names the web code uses.
type (
	Filter      = store.Filter
	SensorState = store.Sensor
	AuditEntry  = store.AuditEntry
)

// The store's sentinel errors.
var (
	ErrNotFound = store.ErrNotFound
	ErrConflict = store.ErrConflict
	ErrInvalid  = store.ErrInvalid
)

// withRemote marks ctx with the client's address for the store's audit
// entries.
func withRemote(r *http.Request) context.Context {
	return store.WithRemote(r.Context(), remoteAddr(r))
}
