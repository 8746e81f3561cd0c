package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"registro/validation"
)

// "Sus derechos": a coordinator helps a survivor exercise her rights (Ley 29733) by her
// code. The four answers travel only in a POST body and become her pseudonym; every
// page after that names her by the pseudonym alone. She sees what is kept about her (a
// printable summary), has any field corrected (each case's own edit page), gives or
// withdraws a consent on all her cases at once, or has all of them erased. Each step
// is a rights request in the access log (the operations of op_subjects.go).

func (s *Server) rightsRoutes(web *gin.RouterGroup) {
	web.GET("/rights", s.page(s.showRights))
	web.POST("/rights", s.page(s.findSurvivor))
	web.GET("/rights/:subject", s.page(s.showSurvivor))
	web.GET("/rights/:subject/summary", s.page(s.showSurvivorSummary))
	web.POST("/rights/:subject/consent", s.page(s.survivorConsent))
	web.GET("/rights/:subject/erase", s.page(s.showSurvivorErase))
	web.POST("/rights/:subject/erase", s.page(s.survivorErase))
}

type survivorPage struct {
	Summary subjectSummary
	Changed string // how many cases a consent change reached, from the redirect
	Erased  string
}

// Consents are the consents she may give or withdraw on all her cases at once.
func (survivorPage) Consents() []string { return []string{"statistics", "legal_sharing", "contact"} }

// showRights asks for her code; only a role that reads all of its organization's
// cases may (the lookup would otherwise name cases she cannot see).
func (s *Server) showRights(c *gin.Context) error {
	if _, _, err := s.orgScoped(c, "read", "subject.lookup"); err != nil {
		return err
	}
	v := s.newView(c, "rights.title")
	s.render(c, http.StatusOK, "survivor", v)
	return nil
}

// findSurvivor turns the four answers into her pseudonym and opens her page. Wrong
// answers come back with every problem named and the answers kept.
func (s *Server) findSurvivor(c *gin.Context) error {
	if _, _, err := s.orgScoped(c, "read", "subject.lookup"); err != nil {
		return err
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	if err := c.Request.ParseForm(); err != nil {
		return &malformed{"the form could not be read"}
	}
	form := c.Request.PostForm
	problems := map[string]string{}
	uic := ""
	if form.Get("no_uic") == "" {
		uic = recordCode(form, problems)
	} else {
		problems["uic_mother"] = "record.problem.code_missing"
	}
	if len(problems) > 0 {
		v := s.newView(c, "rights.title")
		for _, f := range recordCodeFields {
			v.Form.Set(f, form.Get(f))
		}
		v.Errors = map[string]string{}
		for f, id := range problems {
			v.Errors[f] = v.T(id)
		}
		code, _ := status(&validation.Error{})
		s.render(c, code, "survivor", v)
		return nil
	}
	subject, err := s.opLookupSubject(c, uic)
	if err != nil {
		return err
	}
	redirect(c, "/rights/"+url.PathEscape(subject))
	return nil
}

// showSurvivor lists her cases with their consents, and what can be done for her.
func (s *Server) showSurvivor(c *gin.Context) error {
	return s.survivorView(c, http.StatusOK, "rights.title", "survivor_cases", func(v *view, p *survivorPage) {
		p.Changed, p.Erased = digits(c.Query("changed")), digits(c.Query("erased"))
	})
}

// survivorView renders one of her pages from the summary of her cases; more fills in
// what the page adds to it.
func (s *Server) survivorView(c *gin.Context, status int, title, page string, more func(*view, *survivorPage)) error {
	sum, err := s.opSubjectSummary(c, c.Param("subject"))
	if err != nil {
		return err
	}
	v := s.newView(c, title)
	p := survivorPage{Summary: sum}
	if more != nil {
		more(v, &p)
	}
	v.Data = p
	s.render(c, status, page, v)
	return nil
}

// showSurvivorSummary is what is kept about her, in plain words, to print and hand her.
func (s *Server) showSurvivorSummary(c *gin.Context) error {
	return s.survivorView(c, http.StatusOK, "rights.summary_title", "survivor_summary", nil)
}

// survivorConsent gives or withdraws the consents she names on all her cases.
func (s *Server) survivorConsent(c *gin.Context) error {
	subject := c.Param("subject")
	var in subjectConsentInput
	for name, dst := range map[string]**bool{"statistics": &in.Statistics, "legal_sharing": &in.LegalSharing, "contact": &in.Contact} {
		switch c.PostForm(name) {
		case "give":
			yes := true
			*dst = &yes
		case "withdraw":
			no := false
			*dst = &no
		case "", "keep":
		default:
			return validation.Field(name, validation.KeepGiveWithdraw)
		}
	}
	n, err := s.opSubjectConsent(c, subject, in)
	if err != nil {
		return err
	}
	redirect(c, "/rights/"+url.PathEscape(subject)+"?changed="+strconv.Itoa(n))
	return nil
}

// showSurvivorErase asks for confirmation, naming every case that will be erased.
func (s *Server) showSurvivorErase(c *gin.Context) error {
	if _, _, err := s.orgScoped(c, "erase", "subject.erase"); err != nil {
		return err
	}
	return s.survivorView(c, http.StatusOK, "rights.erase_title", "survivor_erase", nil)
}

// survivorErase erases all her cases once the coordinator typed BORRAR.
func (s *Server) survivorErase(c *gin.Context) error {
	subject := c.Param("subject")
	if word := strings.ToUpper(strings.TrimSpace(c.PostForm("confirm"))); word != "BORRAR" && word != "ERASE" {
		if _, _, err := s.orgScoped(c, "erase", "subject.erase"); err != nil {
			return err
		}
		code, _ := status(&validation.Error{})
		return s.survivorView(c, code, "rights.erase_title", "survivor_erase",
			func(v *view, _ *survivorPage) { v.Errors = map[string]string{"confirm": v.T("rights.erase_mismatch")} })
	}
	refs, err := s.opSubjectErase(c, subject)
	if err != nil {
		return err
	}
	redirect(c, "/rights/"+url.PathEscape(subject)+"?erased="+strconv.Itoa(len(refs)))
	return nil
}

// digits keeps a count from the query, nothing else.
func digits(s string) string {
	if _, err := strconv.Atoi(s); err != nil {
		return ""
	}
	return s
}

// AuditAction names an access-log action in the page's language, or gives its code.
func (v *view) AuditAction(code string) string { return v.s.auditWords(v.Lang, "audit.action.", code) }
