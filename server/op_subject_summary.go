package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/audit"
	"registro/cases"
)

// What is kept about a survivor, for her to see (access, Ley 29733): every field of
// her cases, her consents and when she gave them, the follow-ups and shares with the
// role of who made them, and who has had access, as roles and dates from the access
// log. Never anyone else's data: no usernames, account ids or other survivors.

type caseSummary struct {
	ID           string           `json:"id"` // to correct a field (PATCH /api/v1/cases/{id})
	Ref          string           `json:"ref"`
	RecordedAt   time.Time        `json:"recorded_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	Incident     cases.Incident   `json:"incident"`
	Perpetrators []string         `json:"perpetrators"`
	Violations   []string         `json:"violations"`
	Survivor     cases.Survivor   `json:"survivor"`
	Consent      consentSummary   `json:"consent"`
	Narrative    string           `json:"narrative"`
	Contact      string           `json:"contact,omitempty"`
	Response     cases.Response   `json:"response"`
	Followups    []followupByRole `json:"followups"`
	Shares       []shareByRole    `json:"shares"`
	Accesses     []accessByRole   `json:"accesses"`
}

type consentSummary struct {
	Record       bool      `json:"record"`
	Statistics   bool      `json:"statistics"`
	LegalSharing bool      `json:"legal_sharing"`
	Contact      bool      `json:"contact"`
	TextVersion  string    `json:"text_version"`
	GivenAt      time.Time `json:"given_at"`
}

type followupByRole struct {
	Date       string    `json:"date"`
	Note       string    `json:"note"`
	AuthorRole string    `json:"author_role"`
	RecordedAt time.Time `json:"recorded_at"`
}

type shareByRole struct {
	Role      string    `json:"role"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type accessByRole struct {
	At     time.Time `json:"at"`
	Role   string    `json:"role"` // "" for the server's own maintenance
	Action string    `json:"action"`
}

// opSubjectSummary gathers what is kept about subject in the caller's organization.
func (s *Server) opSubjectSummary(c *gin.Context, subject string) (_ subjectSummary, err error) {
	sub, scopes, err := s.orgScoped(c, "read", "subject.see")
	if err != nil {
		return subjectSummary{}, err
	}
	le := entry{Action: "subject.see", Object: subject}
	defer s.logged(c, &err, &le)
	ids, err := s.subjectCases(c, sub, scopes, subject)
	if err != nil {
		return subjectSummary{}, err
	}
	ctx := c.Request.Context()
	roles := roleCache{s: s.Accounts, roles: map[string]string{}}
	out := subjectSummary{Subject: subject, GeneratedAt: s.Now().UTC().Truncate(time.Second), Cases: []caseSummary{}}
	allow := s.caseAllow(sub, scopes)
	for _, id := range ids {
		k, err := s.Cases.Case(ctx, id, allow)
		if err != nil {
			return subjectSummary{}, err
		}
		cs := caseSummary{ID: k.ID, Ref: k.Ref, RecordedAt: k.RecordedAt, UpdatedAt: k.UpdatedAt, Incident: k.Incident,
			Perpetrators: k.Perpetrators, Violations: k.Violations, Survivor: k.Survivor,
			Consent: consentSummary{Record: k.Consent.Record, Statistics: k.Consent.Statistics, LegalSharing: k.Consent.LegalSharing,
				Contact: k.Consent.Contact, TextVersion: k.Consent.TextVersion, GivenAt: k.Consent.RecordedAt},
			Narrative: k.Narrative, Contact: k.Contact, Response: k.Response,
			Followups: []followupByRole{}, Shares: []shareByRole{}, Accesses: []accessByRole{}}
		for _, f := range k.Followups {
			cs.Followups = append(cs.Followups, followupByRole{Date: f.Date, Note: f.Note, AuthorRole: f.AuthorRole, RecordedAt: f.RecordedAt})
		}
		for _, g := range k.Grants {
			cs.Shares = append(cs.Shares, shareByRole{Role: string(accounts.RoleLegal), GrantedAt: g.GrantedAt, ExpiresAt: g.ExpiresAt})
		}
		entries, _, err := s.Audit.Entries(ctx, audit.Filter{Org: sub.Org, Object: id, Limit: audit.MaxLimit})
		if err != nil {
			return subjectSummary{}, err
		}
		for _, e := range entries {
			if e.Outcome != "ok" {
				continue
			}
			cs.Accesses = append(cs.Accesses, accessByRole{At: e.Time, Role: roles.of(ctx, e.Actor), Action: e.Action})
		}
		out.Cases = append(out.Cases, cs)
	}
	le.Detail = "rights request: what is kept, " + strconv.Itoa(len(out.Cases)) + " cases"
	return out, nil
}

// roleCache names the role of the accounts met in the access log, once each.
type roleCache struct {
	s     *accounts.Store
	roles map[string]string
}

func (r roleCache) of(ctx context.Context, userID string) string {
	if userID == "" {
		return ""
	}
	if role, ok := r.roles[userID]; ok {
		return role
	}
	role := ""
	if u, err := r.s.User(ctx, userID); err == nil {
		role = string(u.Role)
	}
	r.roles[userID] = role
	return role
}
