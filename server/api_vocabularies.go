package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) vocabularies(c *gin.Context) error {
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, s.Cases.Vocabulary().All())
	return nil
}
