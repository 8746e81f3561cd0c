package server

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"registro/authz"
	"registro/cases"
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
func (s *Server) opLookupSubject(c *gin.Context, uic string) (string, error) {
	sub, scopes, err := s.scopes(c, "case", "read")
	if err != nil {
		return "", err
	}
	if !slices.Contains(scopes, authz.ScopeOrg) {
		_ = s.record(c, "subject.lookup", "", "denied", "")
		return "", errForbidden
	}
	subject, err := s.Cases.SubjectOf(c.Request.Context(), sub.Org, uic)
	if err != nil {
		_ = s.record(c, "subject.lookup", "", outcomeOf(err), "")
		return "", err
	}
	// The pseudonym names her in the log of a rights request; the code never does.
	return subject, s.record(c, "subject.lookup", subject, "ok", "rights request")
}

func (s *Server) lookupSubject(c *gin.Context) error {
	var in lookupInput
	if err := decode(c, &in); err != nil {
		return err
	}
	subject, err := s.opLookupSubject(c, in.UIC)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"subject": subject})
	return nil
}

// validSubject is the check of a ?subject= filter.
func validSubject(v string) bool { return v == "" || cases.ValidSubject(v) }
