package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) listAudit(c *gin.Context) error {
	entries, next, err := s.opListAudit(c, c.Request.URL.Query())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"entries": entries, "next_before": next})
	return nil
}

func (s *Server) verifyAudit(c *gin.Context) error {
	res, err := s.opVerifyAudit(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}
