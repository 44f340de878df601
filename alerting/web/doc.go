// Package web is the control room's console: the pages guards and
// technicians use and the JSON API integrators use, served by the
// cellsentry-console binary with every asset embedded (the control room
// has no internet).
//
// Pages: a live view (the floor plan with wings coloured by their open
// incidents' worst ISA-18.2 alarm state, sensors with their status, and
// the incident list with acknowledge and resolve, a WebAudio chime on each
// new unacknowledged incident), incident detail with the alerts behind it
// and its linked history, history with filters and CSV export, the
// technician's sensor pages (health, shelving, out of service, a waterfall
// of recent bursts) and the admin's users and audit log. Pages update
// through server-sent events (/api/events) within a second of
// IncidentChanged or SensorChanged.
//
// Access: users and bcrypt hashes come from the console's configuration;
// sessions are random tokens in an HttpOnly, SameSite=Strict cookie with
// idle expiry, kept in the store too (the token's SHA-256, the user, the
// CSRF secret, the expiry; see SessionStore) so that a console restart
// logs nobody out; every state-changing request needs the session's CSRF
// token; logins are rate-limited per user name and per address; every
// operator action goes to the store's audit log with the remote address.
//
// The package reads and writes through Store, which alerting/store
// implements; the console calls IncidentChanged, SensorChanged and Burst
// as its pipeline runs.
package web
