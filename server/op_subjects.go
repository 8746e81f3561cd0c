package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/authz"
	"registro/cases"
	"registro/validation"
)

// A survivor's rights by her code (Ley 29733): the coordinator types the four answers
// of her code, gets the pseudonym they make in the organization, and lists her cases
// with it (GET /api/v1/cases?subject=…). The code travels only in this request's body,
// never in a URL, and is neither stored nor logged.

type lookupInput struct {
	UIC string `json:"uic"`
}

// opLookupSubject returns the pseudonym of uic in the caller's organization. Only a
// role that reads every case of the organization may ask: for anyone else a pseudonym
// would name cases she cannot see.
func (s *Server) opLookupSubject(c *gin.Context, uic string) (subject string, err error) {
	sub, _, err := s.orgScoped(c, "read", "subject.lookup")
	if err != nil {
		return "", err
	}
	le := entry{Action: "subject.lookup"}
	defer s.logged(c, &err, &le)
	if subject, err = s.Cases.SubjectOf(c.Request.Context(), sub.Org, uic); err == nil {
		// The pseudonym names her in the log of a rights request; the code never does.
		le.Object, le.Detail = subject, "rights request"
	}
	return subject, err
}

// validSubject is the check of a ?subject= filter.
func validSubject(v string) bool { return v == "" || cases.ValidSubject(v) }

// orgScoped checks that the caller may do action on every case of her organization:
// a survivor's rights act on all her cases, never on the part a narrower role sees.
func (s *Server) orgScoped(c *gin.Context, action, what string) (authz.Subject, []authz.Scope, error) {
	sub, scopes, err := s.scopes(c, "case", action)
	if err != nil {
		return sub, nil, err
	}
	if !slices.Contains(scopes, authz.ScopeOrg) {
		_ = s.record(c, what, c.Param("subject"), "denied", "")
		return sub, nil, errForbidden
	}
	return sub, scopes, nil
}

// subjectCases returns the ids of every live case of subject in the caller's
// organization.
func (s *Server) subjectCases(c *gin.Context, sub authz.Subject, scopes []authz.Scope, subject string) ([]string, error) {
	if !cases.ValidSubject(subject) {
		return nil, validation.Field("subject", validation.Pseudonym)
	}
	all, err := s.Cases.ListAll(c.Request.Context(), cases.ListQuery{Sources: []cases.Source{{Kind: "org", Org: sub.Org}},
		Subject: subject, Limit: cases.MaxPage, Allow: s.summaryAllow(sub, scopes)})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(all))
	for i, e := range all {
		ids[i] = e.ID
	}
	return ids, nil
}

type subjectConsentInput struct {
	Statistics   *bool `json:"statistics"`
	LegalSharing *bool `json:"legal_sharing"`
	Contact      *bool `json:"contact"`
}

// opSubjectConsent gives or withdraws consents on every case of subject at once, with
// the effects of each case's own change (a withdrawn legal-sharing consent ends its
// shares; a withdrawn statistics consent takes it out of the numbers; a withdrawn
// contact consent deletes the contact). It returns how many cases changed.
func (s *Server) opSubjectConsent(c *gin.Context, subject string, in subjectConsentInput) (n int, err error) {
	sub, scopes, err := s.orgScoped(c, "update", "subject.consent")
	if err != nil {
		return 0, err
	}
	if in.Statistics == nil && in.LegalSharing == nil && in.Contact == nil {
		return 0, validation.Field("consent", validation.ConsentName)
	}
	ids, err := s.subjectCases(c, sub, scopes, subject)
	if err != nil {
		return 0, err
	}
	le := entry{Action: "subject.consent", Object: subject}
	defer s.logged(c, &err, &le)
	allow := s.caseAllow(sub, scopes)
	for _, id := range ids {
		err := retrySubject(func() error {
			k, err := s.Cases.Case(c.Request.Context(), id, allow)
			if err != nil {
				return err
			}
			v := k.Version
			_, err = s.Cases.Update(c.Request.Context(), actorOf(c), id, cases.Patch{Version: &v,
				Consent: &cases.ConsentPatch{Statistics: in.Statistics, LegalSharing: in.LegalSharing, Contact: in.Contact}}, allow)
			return err
		})
		if err != nil {
			le.Detail = fmt.Sprintf("rights request: %d of %d cases changed", n, len(ids))
			return n, err
		}
		n++
	}
	le.Detail = fmt.Sprintf("rights request: %s on %d cases", consentDetail(in), n)
	return n, nil
}

// opSubjectErase erases every case of subject (cancellation, Ley 29733), each as its
// own erasure is, and returns their references.
func (s *Server) opSubjectErase(c *gin.Context, subject string) (refs []string, err error) {
	sub, scopes, err := s.orgScoped(c, "erase", "subject.erase")
	if err != nil {
		return nil, err
	}
	ids, err := s.subjectCases(c, sub, scopes, subject)
	if err != nil {
		return nil, err
	}
	le := entry{Action: "subject.erase", Object: subject}
	defer s.logged(c, &err, &le)
	for _, id := range ids {
		ref, err := s.Cases.Erase(c.Request.Context(), actorOf(c), id, s.caseAllow(sub, scopes))
		if err != nil {
			le.Detail = fmt.Sprintf("rights request: %d of %d cases erased", len(refs), len(ids))
			return refs, err
		}
		refs = append(refs, ref)
	}
	le.Detail = fmt.Sprintf("rights request: %d cases erased", len(refs))
	return refs, nil
}

// retrySubject runs f again when a case changed between its read and its update.
func retrySubject(f func() error) error {
	err := f()
	for i := 0; i < 3 && errors.Is(err, cases.ErrVersionConflict); i++ {
		err = f()
	}
	return err
}

func consentDetail(in subjectConsentInput) string {
	var parts []string
	for name, v := range map[string]*bool{"statistics": in.Statistics, "legal_sharing": in.LegalSharing, "contact": in.Contact} {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%t", name, *v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
