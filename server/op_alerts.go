package server

import (
	"time"

	"github.com/gin-gonic/gin"

	"registro/alerts"
	"registro/validation"
	"registro/vocabulary"
)

// The operations of community alerts, shared by /api/v1/alerts and the pages. Every
// action is a Casbin line ("alert", action) in the caller's organization; an alert of
// another organization is out of reach (404) except a shared, current one for an
// organization that receives shared alerts. Every change goes to the access log with
// the alert's id and never its text; reading alerts is not logged (they hold no case
// content, and members read them on every home page).

// alertView is an alert as the API answers it: its state at the time of the answer,
// and whether it comes from another organization (then without its internal fields).
type alertView struct {
	alerts.Alert
	State alerts.State `json:"state"`
	Other bool         `json:"from_other_org,omitempty"`
	// The days (in Lima) it was published and expires: never the moments.
	PublishedOn string `json:"published,omitempty"`
	ExpiresOn   string `json:"expires,omitempty"`
}

// alertViewOf is the alert as the caller may see it.
func (s *Server) alertViewOf(c *gin.Context, a alerts.Alert) alertView {
	other := a.Org != userOf(c).Org
	if other {
		a = a.Outside()
	}
	v := alertView{Alert: a, State: a.StateAt(s.Now()), Other: other}
	if !a.Published.IsZero() {
		v.PublishedOn = a.Published.In(limaTime).Format(time.DateOnly)
		v.ExpiresOn = a.ExpiresAt.In(limaTime).Format(time.DateOnly)
	}
	return v
}

// alertLists says which action lets the caller see each list.
var alertLists = map[string]string{"current": "read", "proposals": "approve", "mine": "propose", "ended": "approve"}

// opListAlerts lists the alerts of list ("current" when empty) in the caller's reach,
// of district if given.
func (s *Server) opListAlerts(c *gin.Context, list, district string) ([]alertView, error) {
	if list == "" {
		list = "current"
	}
	action, ok := alertLists[list]
	if !ok {
		return nil, validation.Field("list", validation.AlertList)
	}
	if district != "" && !s.Alerts.Vocabulary().Has(vocabulary.Districts, district) {
		return nil, validation.Field("district", validation.UnknownDistrict)
	}
	me := userOf(c)
	if _, err := s.can(c, "alert", action, me.Org); err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	receive, err := s.Alerts.Receives(ctx, me.Org)
	if err != nil {
		return nil, err
	}
	got, err := s.Alerts.List(ctx, alerts.Query{Org: me.Org, District: district, List: list, User: me.ID, Receive: receive})
	if err != nil {
		return nil, err
	}
	out := make([]alertView, len(got))
	for i, a := range got {
		out[i] = s.alertViewOf(c, a)
	}
	return out, nil
}

// opGetAlert returns one alert the caller may see: a current one of her organization or
// shared with it; a proposal or an ended one of her organization to those who review
// them; her own proposals.
func (s *Server) opGetAlert(c *gin.Context, id string) (alertView, error) {
	me := userOf(c)
	sub, err := s.can(c, "alert", "read", me.Org)
	if err != nil {
		return alertView{}, err
	}
	ctx := c.Request.Context()
	a, err := s.Alerts.Get(ctx, id)
	if err != nil {
		return alertView{}, err
	}
	switch {
	case a.Org == me.Org && (a.Current(s.Now()) || a.ProposedBy == me.ID):
	case a.Org == me.Org:
		if ok, err := s.Authz.Can(sub, "alert", "approve", me.Org); err != nil || !ok {
			return alertView{}, alerts.ErrNotFound
		}
	default:
		receive, err := s.Alerts.Receives(ctx, me.Org)
		if err != nil {
			return alertView{}, err
		}
		if !receive || !a.Shared || !a.Current(s.Now()) {
			return alertView{}, alerts.ErrNotFound
		}
	}
	return s.alertViewOf(c, *a), nil
}

// opProposeAlert stores a proposal. Started from a case, the case is read as the
// caller may read it (and logged so), only to look for its codes and contact in the
// text; nothing of it is kept with the alert.
func (s *Server) opProposeAlert(c *gin.Context, in alerts.Input) (_ alertView, err error) {
	me := userOf(c)
	if _, err := s.can(c, "alert", "propose", me.Org); err != nil {
		return alertView{}, err
	}
	var known []string
	if in.FromCase != "" {
		k, err := s.opReadCase(c, in.FromCase)
		if err != nil {
			return alertView{}, err
		}
		known = []string{k.ID, k.Ref, k.Subject, k.Contact}
	}
	if err := in.Validate(s.Alerts.Vocabulary(), known); err != nil {
		return alertView{}, err
	}
	e := entry{Action: "alert.propose"}
	defer s.logged(c, &err, &e)
	a, err := s.Alerts.Propose(c.Request.Context(), me.Org, me.ID, in)
	if err != nil {
		return alertView{}, err
	}
	e.Object, e.Detail = a.ID, "proposed"
	return s.alertViewOf(c, *a), nil
}

// alertChange is one coordinator's change to an alert of her organization.
type alertChange struct {
	Action  string // the Casbin action: approve, reject, edit, renew, withdraw, share
	Version int64  // the version read, 0 for any
	Input   *alerts.Input
	Reason  string
	Shared  bool
}

// opChangeAlert applies ch to the alert id of the caller's organization.
func (s *Server) opChangeAlert(c *gin.Context, id string, ch alertChange) (_ alertView, err error) {
	me := userOf(c)
	if _, err := s.can(c, "alert", ch.Action, me.Org); err != nil {
		return alertView{}, err
	}
	var change func(*alerts.Alert, time.Time) error
	validity := s.Alerts.Validity
	switch ch.Action {
	case "approve":
		change = func(a *alerts.Alert, now time.Time) error { return alerts.Approve(a, now, validity) }
	case "renew":
		change = func(a *alerts.Alert, now time.Time) error { return alerts.Renew(a, now, validity) }
	case "reject":
		if err := alerts.CheckReason(ch.Reason); err != nil {
			return alertView{}, err
		}
		change = alerts.Reject(ch.Reason)
	case "withdraw":
		change = alerts.Withdraw
	case "share":
		change = alerts.Share(ch.Shared)
	case "edit":
		if err := ch.Input.Validate(s.Alerts.Vocabulary(), nil); err != nil {
			return alertView{}, err
		}
		change = alerts.Edit(*ch.Input)
	}
	e := entry{Action: "alert." + ch.Action, Object: id}
	defer s.logged(c, &err, &e)
	mine := func(a *alerts.Alert) bool { return a.Org == me.Org }
	a, err := s.Alerts.Change(c.Request.Context(), id, ch.Version, mine, change)
	if err != nil {
		return alertView{}, err
	}
	e.Detail = string(a.State)
	if ch.Action == "share" {
		e.Detail += map[bool]string{true: ", shared", false: ", not shared"}[a.Shared]
	}
	return s.alertViewOf(c, *a), nil
}

// opAlertSettings answers whether the caller's organization receives the alerts other
// organizations share; set changes it first.
func (s *Server) opAlertSettings(c *gin.Context, set *bool) (_ bool, err error) {
	me := userOf(c)
	if _, err := s.can(c, "alert", "receive", me.Org); err != nil {
		return false, err
	}
	if set == nil {
		return s.Alerts.Receives(c.Request.Context(), me.Org)
	}
	e := entry{Action: "alert.receive", Object: me.Org, Detail: map[bool]string{true: "on", false: "off"}[*set]}
	defer s.logged(c, &err, &e)
	return *set, s.Alerts.SetReceive(c.Request.Context(), me.Org, me.Username, *set)
}
