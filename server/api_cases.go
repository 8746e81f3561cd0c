package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"registro/cases"
)

func (s *Server) createCase(c *gin.Context) error {
	if _, err := s.can(c, "case", "create", userOf(c).Org); err != nil {
		return err
	}
	var in cases.Input
	if err := decode(c, &in); err != nil {
		return err
	}
	k, replayed, err := s.opCreateCase(c, in, c.GetHeader("Idempotency-Key"))
	if err != nil {
		return err
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, k)
		return nil
	}
	c.Header("Location", "/api/v1/cases/"+k.ID)
	c.JSON(http.StatusCreated, k)
	return nil
}

func (s *Server) showCase(c *gin.Context) error {
	k, err := s.opReadCase(c, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, k)
	return nil
}

func (s *Server) listCases(c *gin.Context) error {
	items, next, err := s.opListCases(c, c.Request.URL.Query())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"cases": items, "next_cursor": next})
	return nil
}

func (s *Server) updateCase(c *gin.Context) error {
	// Authorization comes before the body is read, as it always has: a role that may
	// never update learns nothing from a malformed body.
	if _, _, err := s.scopes(c, "case", "update"); err != nil {
		return err
	}
	var p cases.Patch
	if err := decode(c, &p); err != nil {
		return err
	}
	k, err := s.opUpdateCase(c, c.Param("id"), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, k)
	return nil
}

func (s *Server) addFollowup(c *gin.Context) error {
	if _, _, err := s.scopes(c, "case", "followup"); err != nil {
		return err
	}
	var in cases.FollowupInput
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Key = c.GetHeader("Idempotency-Key")
	k, err := s.opAddFollowup(c, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, k)
	return nil
}

func (s *Server) eraseCase(c *gin.Context) error {
	if _, err := s.opEraseCase(c, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) grantCase(c *gin.Context) error {
	if _, _, err := s.scopes(c, "case", "share"); err != nil {
		return err
	}
	var in grantInput
	if err := decode(c, &in); err != nil {
		return err
	}
	k, err := s.opGrantCase(c, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, k)
	return nil
}

func (s *Server) revokeGrant(c *gin.Context) error {
	if err := s.opRevokeGrant(c, c.Param("id"), c.Param("user")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
