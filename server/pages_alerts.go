package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/alerts"
	"registro/vocabulary"
)

// The pages of community alerts: the current ones (also on the home page), the form
// that proposes or edits one, one alert with what a coordinator may do to it, and the
// coordinator's lists (proposals to review, ended alerts) and her organization's choice
// to receive other organizations' shared alerts. Every page goes through the
// operations of op_alerts.go.

func (s *Server) alertRoutes(web *gin.RouterGroup) {
	web.GET("/alerts", s.page(s.showAlerts))
	web.GET("/alerts/new", s.page(s.showAlertForm))
	web.POST("/alerts/new", s.page(s.proposeAlertPage))
	web.POST("/alerts/settings", s.page(s.alertSettingsPage))
	web.GET("/alerts/:id", s.page(s.showAlertPage))
	web.GET("/alerts/:id/edit", s.page(s.showAlertEdit))
	web.POST("/alerts/:id/edit", s.page(s.editAlertPage))
	for _, action := range []string{"approve", "reject", "renew", "withdraw", "share"} {
		web.POST("/alerts/:id/"+action, s.page(s.decideAlertPage(action)))
	}
}

// alertCard is one alert as a page shows it, with its text for WhatsApp.
type alertCard struct {
	alertView
	Text string
}

// alertCardData is what the partial "alert-card" receives.
type alertCardData struct {
	V      *view
	A      alertCard
	Link   bool
	Fields []string
}

// alertsPage is the data of the alerts page (and of the home page's alerts).
type alertsPage struct {
	District  string // the filter, "" for all
	Districts []vocabulary.Term
	Current   []alertCard
	Proposals []alertCard // to review (coordinators)
	Mine      []alertCard // her own proposals (those who propose but do not review)
	Ended     []alertCard // expired, withdrawn, rejected (coordinators)
	Receive   bool
	Review    bool // the reader reviews proposals
}

// AlertList is the alerts the page shows.
func (p alertsPage) AlertList() *alertsPage { return &p }

func (s *Server) cardsOf(lang string, list []alertView) []alertCard {
	out := make([]alertCard, len(list))
	for i, a := range list {
		out[i] = alertCard{alertView: a, Text: s.alertText(a, lang)}
	}
	return out
}

// currentAlerts fills the current alerts of the reader's reach, of the district the
// address names, for the alerts page and the home page.
func (s *Server) currentAlerts(c *gin.Context, v *view, p *alertsPage) error {
	p.District = c.Query("district")
	if p.District != "" && !s.Alerts.Vocabulary().Has(vocabulary.Districts, p.District) {
		p.District = ""
	}
	p.Districts = s.alertDistricts()
	list, err := s.opListAlerts(c, "current", p.District)
	if err != nil {
		return err
	}
	p.Current = s.cardsOf(v.Lang, list)
	return nil
}

// alertDistricts are the districts an alert may name: Lima's and Callao's, then the
// other departments.
func (s *Server) alertDistricts() []vocabulary.Term {
	return s.Alerts.Vocabulary().Terms(vocabulary.Districts)
}

// showAlerts is the alerts page.
func (s *Server) showAlerts(c *gin.Context) error {
	v := s.newView(c, "alerts.title")
	v.Notice = alertNotice(c.Query("done"))
	var p alertsPage
	if err := s.currentAlerts(c, v, &p); err != nil {
		return err
	}
	p.Review = v.Can("alert", "approve")
	var err error
	if p.Review {
		var list []alertView
		if list, err = s.opListAlerts(c, "proposals", ""); err != nil {
			return err
		}
		p.Proposals = s.cardsOf(v.Lang, list)
		if list, err = s.opListAlerts(c, "ended", ""); err != nil {
			return err
		}
		p.Ended = s.cardsOf(v.Lang, list)
		if p.Receive, err = s.opAlertSettings(c, nil); err != nil {
			return err
		}
	} else if v.Can("alert", "propose") {
		list, err := s.opListAlerts(c, "mine", "")
		if err != nil {
			return err
		}
		p.Mine = s.cardsOf(v.Lang, list)
	}
	v.Data = p
	s.render(c, http.StatusOK, "alerts", v)
	return nil
}

// alertNotice is the confirmation a successful alert form leaves in the address.
func alertNotice(done string) string {
	switch done {
	case "proposed", "approve", "reject", "renew", "withdraw", "share", "unshare", "edit", "receive", "ignore":
		return "alerts.done." + done
	}
	return ""
}

// alertForm is the data of the form that proposes or edits an alert.
type alertForm struct {
	Action    string // where the form posts
	Edit      bool
	Version   int64
	FromCase  string // the case it is started from, only to check the text against
	Warnings  bool   // the text may identify someone: ask to look again
	Districts []vocabulary.Term
}

// Hours and DescriptionFields are the form's choices.
func (alertForm) Hours() []string             { return alerts.Hours }
func (alertForm) DescriptionFields() []string { return alerts.DescriptionFields }

// showAlertForm is the empty form; started from a case (?from=), the kind of aggressor
// and the district are taken from the case as a start, and nothing else.
func (s *Server) showAlertForm(c *gin.Context) error {
	me := userOf(c)
	if _, err := s.can(c, "alert", "propose", me.Org); err != nil {
		return err
	}
	v := s.newView(c, "alerts.new_title")
	f := alertForm{Action: "/alerts/new", Districts: s.alertDistricts()}
	if id := c.Query("from"); id != "" {
		k, err := s.opReadCase(c, id)
		if err != nil {
			return err
		}
		f.FromCase = k.ID
		if len(k.Perpetrators) > 0 {
			v.Form.Set("aggressor", k.Perpetrators[0])
		}
		v.Form.Set("district", k.Incident.District)
	}
	v.Data = f
	s.render(c, http.StatusOK, "alert_form", v)
	return nil
}

// alertInput reads the form into an alert's content.
func alertInput(c *gin.Context) (alerts.Input, error) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	if err := c.Request.ParseForm(); err != nil {
		return alerts.Input{}, &malformed{"the form could not be read"}
	}
	f := c.Request.PostForm
	in := alerts.Input{
		Aggressor: f.Get("aggressor"), District: f.Get("district"), Hours: f["hours"],
		Internal: f["internal"], Behaviour: f.Get("behaviour"), Advice: f.Get("advice"),
		Checked: f.Get("checked") == "yes", FromCase: f.Get("from_case"),
	}
	in.Description = alerts.Description{Vehicle: f.Get("vehicle"), Plate: f.Get("plate"),
		Physical: f.Get("physical"), Uniform: f.Get("uniform"), Badge: f.Get("badge")}
	return in, nil
}

// alertFields names the form's fields for the domain's.
var alertFields = map[string]string{
	"aggressor": "alert_aggressor", "district": "alert_district", "hours": "alert_hours",
	"internal": "alert_internal", "behaviour": "alert_behaviour", "advice": "alert_advice",
	"description.vehicle": "alert_vehicle", "description.plate": "alert_plate",
	"description.physical": "alert_physical", "description.uniform": "alert_uniform",
	"description.badge": "alert_badge", "reason": "alert_reason",
}

// formAgain shows the form again after err, with every problem named and every answer
// kept; text that may identify someone asks the author to look again and confirm.
func (s *Server) formAgain(c *gin.Context, f alertForm, err error) error {
	v := s.newView(c, "alerts.new_title")
	if f.Edit {
		v.Title = "alerts.edit_title"
	}
	code, ok := s.rejected(v, err, problemWords{field: renamed(alertFields)})
	if !ok {
		return err
	}
	f.Warnings = alerts.Warned(err)
	f.Districts = s.alertDistricts()
	v.Form = c.Request.PostForm
	v.Form.Del("checked")
	v.Data = f
	s.render(c, code, "alert_form", v)
	return nil
}

// proposeAlertPage sends the form as a proposal.
func (s *Server) proposeAlertPage(c *gin.Context) error {
	in, err := alertInput(c)
	if err != nil {
		return err
	}
	if _, err := s.opProposeAlert(c, in); err != nil {
		return s.formAgain(c, alertForm{Action: "/alerts/new", FromCase: in.FromCase}, err)
	}
	redirect(c, "/alerts?done=proposed")
	return nil
}

// alertPage is the data of one alert's page.
type alertPage struct {
	Card   alertCard
	Review bool // the reader may approve, reject, edit, renew, withdraw, share
	Mine   bool // she proposed it
}

// showAlertPage is one alert, with what the reader may do to it.
func (s *Server) showAlertPage(c *gin.Context) error {
	a, err := s.opGetAlert(c, c.Param("id"))
	if err != nil {
		return err
	}
	v := s.newView(c, "alerts.alert_title")
	v.Notice = alertNotice(c.Query("done"))
	v.Data = alertPage{Card: alertCard{alertView: a, Text: s.alertText(a, v.Lang)},
		Review: !a.Other && v.Can("alert", "approve"), Mine: a.ProposedBy == userOf(c).ID}
	s.render(c, http.StatusOK, "alert", v)
	return nil
}

// showAlertEdit is the form with the alert's content, for a coordinator.
func (s *Server) showAlertEdit(c *gin.Context) error {
	me := userOf(c)
	if _, err := s.can(c, "alert", "edit", me.Org); err != nil {
		return err
	}
	a, err := s.opGetAlert(c, c.Param("id"))
	if err != nil {
		return err
	}
	if a.Other {
		return alerts.ErrNotFound
	}
	v := s.newView(c, "alerts.edit_title")
	v.Form = url.Values{"aggressor": {a.Aggressor}, "district": {a.District}, "hours": a.Hours,
		"internal": a.Internal, "behaviour": {a.Behaviour}, "advice": {a.Advice}}
	for _, f := range alerts.DescriptionFields {
		v.Form.Set(f, a.Description.Get(f))
	}
	v.Data = alertForm{Action: "/alerts/" + a.ID + "/edit", Edit: true, Version: a.Version, Districts: s.alertDistricts()}
	s.render(c, http.StatusOK, "alert_form", v)
	return nil
}

// editAlertPage saves a coordinator's edit.
func (s *Server) editAlertPage(c *gin.Context) error {
	in, err := alertInput(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	version, _ := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if _, err := s.opChangeAlert(c, id, alertChange{Action: "edit", Version: version, Input: &in}); err != nil {
		return s.formAgain(c, alertForm{Action: "/alerts/" + id + "/edit", Edit: true, Version: version}, err)
	}
	redirect(c, "/alerts/"+url.PathEscape(id)+"?done=edit")
	return nil
}

// decideAlertPage approves, rejects, renews, withdraws or shares an alert.
func (s *Server) decideAlertPage(action string) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		id := c.Param("id")
		version, _ := strconv.ParseInt(c.PostForm("version"), 10, 64)
		ch := alertChange{Action: action, Version: version, Reason: strings.TrimSpace(c.PostForm("reason")), Shared: c.PostForm("shared") == "yes"}
		if _, err := s.opChangeAlert(c, id, ch); err != nil {
			return err
		}
		done := action
		if action == "share" && !ch.Shared {
			done = "unshare"
		}
		redirect(c, "/alerts/"+url.PathEscape(id)+"?done="+done)
		return nil
	}
}

// alertSettingsPage turns on or off the other organizations' shared alerts.
func (s *Server) alertSettingsPage(c *gin.Context) error {
	on := c.PostForm("receive") == "yes"
	if _, err := s.opAlertSettings(c, &on); err != nil {
		return err
	}
	redirect(c, "/alerts?done="+map[bool]string{true: "receive", false: "ignore"}[on])
	return nil
}

// alertText is the alert as plain text to paste into WhatsApp: what the aggressor is,
// where and when, how to recognise him (without the fields marked internal), what he
// does, the advice, and until when the warning holds. Nothing else: no id, no author.
func (s *Server) alertText(a alertView, lang string) string {
	voc := s.Alerts.Vocabulary()
	t := func(id string, args ...any) string { return s.cat.text(lang, id, args...) }
	var b strings.Builder
	fmt.Fprintf(&b, "⚠️ %s: %s · %s\n", t("alerts.text_alert"), voc.Label(vocabulary.Perpetrators, a.Aggressor, lang),
		voc.Label(vocabulary.Districts, a.District, lang))
	if len(a.Hours) > 0 {
		hours := make([]string, len(a.Hours))
		for i, h := range a.Hours {
			hours[i] = t("alerts.hour." + h)
		}
		fmt.Fprintf(&b, "%s: %s\n", t("alerts.field.hours"), strings.Join(hours, ", "))
	}
	for _, f := range alerts.DescriptionFields {
		if val := a.Description.Get(f); val != "" && !a.IsInternal(f) {
			fmt.Fprintf(&b, "%s: %s\n", t("alerts.field."+f), val)
		}
	}
	fmt.Fprintf(&b, "%s: %s\n", t("alerts.field.behaviour"), a.Behaviour)
	if a.Advice != "" {
		fmt.Fprintf(&b, "%s: %s\n", t("alerts.field.advice"), a.Advice)
	}
	if !a.ExpiresAt.IsZero() {
		b.WriteString(t("alerts.text_until", "Date", a.ExpiresAt.In(limaTime).Format("02/01/2006")) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
