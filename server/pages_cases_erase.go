package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/validation"
)

// Erasure destroys the case's data key (crypto-shredding): nothing of it can be read
// again, by anyone, from any copy. The page asks for the reference to be typed, so a
// slip of the finger cannot erase a case.

type erasePage struct {
	Case *cases.Case
}

// showEraseCase asks for confirmation. The right to erase is checked before the case
// is read.
func (s *Server) showEraseCase(c *gin.Context) error {
	k, err := s.caseForForm(c, "erase")
	if err != nil {
		return err
	}
	v := s.newView(c, "cases.erase_title")
	v.Data = erasePage{Case: k}
	s.render(c, http.StatusOK, "case_erase", v)
	return nil
}

// eraseCasePage erases the case when the typed reference is its own and goes to the
// list, which confirms the erasure.
func (s *Server) eraseCasePage(c *gin.Context) error {
	k, err := s.caseForForm(c, "erase")
	if err != nil {
		return err
	}
	typed := strings.ToUpper(strings.TrimSpace(c.PostForm("ref")))
	if typed != k.Ref {
		v := s.newView(c, "cases.erase_title")
		v.Form.Set("ref", c.PostForm("ref"))
		words := s.caseWords()
		words.word = func(lang, _ string, _ validation.Problem) string {
			return s.cat.text(lang, "cases.problem.ref_mismatch", "Ref", k.Ref)
		}
		st, _ := s.rejected(v, validation.Field("ref", validation.NotThisCase), words)
		v.Data = erasePage{Case: k}
		s.render(c, st, "case_erase", v)
		return nil
	}
	ref, err := s.opEraseCase(c, k.ID)
	if err != nil {
		return err
	}
	redirect(c, "/cases?erased="+url.QueryEscape(ref))
	return nil
}
