package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

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

func (s *Server) subjectConsent(c *gin.Context) error {
	var in subjectConsentInput
	if err := decode(c, &in); err != nil {
		return err
	}
	n, err := s.opSubjectConsent(c, c.Param("subject"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"updated": n})
	return nil
}

func (s *Server) subjectErase(c *gin.Context) error {
	refs, err := s.opSubjectErase(c, c.Param("subject"))
	if err != nil {
		return err
	}
	if refs == nil {
		refs = []string{}
	}
	c.JSON(http.StatusOK, gin.H{"erased": refs})
	return nil
}

type subjectSummary struct {
	Subject     string        `json:"subject"`
	GeneratedAt time.Time     `json:"generated_at"`
	Cases       []caseSummary `json:"cases"`
}

func (s *Server) subjectSummary(c *gin.Context) error {
	sum, err := s.opSubjectSummary(c, c.Param("subject"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sum)
	return nil
}
