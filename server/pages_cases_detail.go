package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/validation"
)

// casePage is the data of a case's detail page.
type casePage struct {
	Case      *cases.Case
	When      string            // incident date at its precision
	Names     map[string]string // user id → username, for provenance and follow-ups
	Followups []followupRow
	Grants    []grantRow
	Consent   []consentItem
	Today     string // latest date a follow-up may carry
	From      string // page a revoked share goes back to: "" for this one
}

// consentItem is one thing the survivor agreed to or not.
type consentItem struct {
	Label string // catalogue id
	Given bool
}

type followupRow struct {
	cases.Followup
	When string
}

// grantRow is a share as the pages list it.
type grantRow struct {
	Username string
	Until    time.Time
	Expired  bool
}

// showCasePage shows one case in full. The read goes to the access log.
func (s *Server) showCasePage(c *gin.Context) error {
	k, err := s.opReadCase(c, c.Param("id"))
	if err != nil {
		return err
	}
	v := s.newView(c, "cases.detail_title")
	v.Notice = doneNotice(c.Query("done"))
	s.renderCase(c, http.StatusOK, v, k)
	return nil
}

// doneNotice turns the flag a successful form leaves in the address into the
// confirmation to show; anything else shows none.
func doneNotice(done string) string {
	switch done {
	case "followup", "updated", "shared", "revoked":
		return "cases.done." + done
	}
	return ""
}

func (s *Server) renderCase(c *gin.Context, status int, v *view, k *cases.Case) {
	ids := []string{k.RecordedBy, k.Consent.RecordedBy}
	rows := make([]followupRow, len(k.Followups))
	for i, f := range k.Followups {
		ids = append(ids, f.Author)
		rows[i] = followupRow{Followup: f, When: s.incidentWhen(v.Lang, cases.Incident{Date: f.Date, DatePrecision: "day"})}
	}
	v.Data = casePage{
		Case: k, When: s.incidentWhen(v.Lang, k.Incident), Names: s.usernames(c, ids),
		Followups: rows, Grants: s.grantRows(k), Today: s.Now().In(limaTime).Format(time.DateOnly),
		Consent: []consentItem{{"cases.consent_record", k.Consent.Record}, {"cases.consent_statistics", k.Consent.Statistics},
			{"cases.consent_legal_sharing", k.Consent.LegalSharing}, {"cases.consent_contact", k.Consent.Contact}},
	}
	s.render(c, status, "case", v)
}

// usernames names the accounts behind user ids; an account that no longer exists
// stays unnamed rather than failing the page.
func (s *Server) usernames(c *gin.Context, ids []string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		if u, err := s.Accounts.User(c.Request.Context(), id); err == nil {
			out[id] = u.Username
		} else {
			out[id] = "—"
		}
	}
	return out
}

func (s *Server) grantRows(k *cases.Case) []grantRow {
	now := s.Now()
	out := make([]grantRow, len(k.Grants))
	for i, g := range k.Grants {
		out[i] = grantRow{Username: g.Username, Until: g.ExpiresAt, Expired: !g.ExpiresAt.After(now)}
	}
	return out
}

// addFollowupPage adds a follow-up; a rejected note shows the case again with the
// problem and the text kept.
func (s *Server) addFollowupPage(c *gin.Context) error {
	id := c.Param("id")
	in := cases.FollowupInput{Note: c.PostForm("note"), Date: c.PostForm("date"), Key: c.PostForm("followup_key")}
	k, err := s.opAddFollowup(c, id, in)
	if wantsJSON(c) {
		// The page's script sending a follow-up kept on the phone.
		return s.answerSent(c, k, err)
	}
	var ve *validation.Error
	if err != nil && !errors.As(err, &ve) {
		return err
	}
	if err == nil {
		redirect(c, "/cases/"+id+"?done=followup#followups")
		return nil
	}
	k, rerr := s.opReadCase(c, id)
	if rerr != nil {
		return rerr
	}
	v := s.newView(c, "cases.detail_title")
	v.Form.Set("note", in.Note)
	v.Form.Set("date", in.Date)
	v.Form.Set("followup_key", in.Key)
	st, _ := s.rejected(v, err, s.caseWords())
	s.renderCase(c, st, v, k)
	return nil
}

// caseForForm reads the case of a form for action (update, share, erase), after
// checking that the role may do action at all: a role that never may gets 403 before
// any case is read, as from the API. The read itself is logged as every read is.
func (s *Server) caseForForm(c *gin.Context, action string) (*cases.Case, error) {
	if _, _, err := s.scopes(c, "case", action); err != nil {
		return nil, err
	}
	return s.opReadCase(c, c.Param("id"))
}
