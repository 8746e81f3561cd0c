package server

import (
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *Server) createOrg(c *gin.Context) error {
	if _, err := s.can(c, "orgs", "manage", ""); err != nil {
		return err
	}
	var in orgInput
	if err := decode(c, &in); err != nil {
		return err
	}
	o, err := s.opCreateOrg(c, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, o)
	return nil
}

func (s *Server) listOrgs(c *gin.Context) error {
	orgs, err := s.opListOrgs(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"orgs": orgs})
	return nil
}

func (s *Server) createUser(c *gin.Context) error {
	var in userInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, generated, err := s.opCreateUser(c, in)
	if err != nil {
		return err
	}
	body := gin.H{"user": u}
	if generated != "" {
		body["password"] = generated
	}
	c.JSON(http.StatusCreated, body)
	return nil
}

func (s *Server) listUsers(c *gin.Context) error {
	users, err := s.opListUsers(c, c.Query("org"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"users": users})
	return nil
}

func (s *Server) updateUser(c *gin.Context) error {
	var in userPatchInput
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := s.opUpdateUser(c, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
	return nil
}

func (s *Server) changeOwnPassword(c *gin.Context) error {
	var in passwordInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.opOwnPassword(c, in.Current, in.New, bearerToken(c)); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) beginSecondFactor(c *gin.Context) error {
	e, err := s.opBeginSecondFactor(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"secret": e.Secret, "otpauth_url": e.URL,
		"qr_png": base64.StdEncoding.EncodeToString(e.PNG)})
	return nil
}

func (s *Server) confirmSecondFactor(c *gin.Context) error {
	var in codeInput
	if err := decode(c, &in); err != nil {
		return err
	}
	recovery, err := s.opConfirmSecondFactor(c, in.Code)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"recovery_codes": recovery})
	return nil
}

func (s *Server) listOwnSessions(c *gin.Context) error {
	list, err := s.Accounts.Sessions(c.Request.Context(), userOf(c).ID, bearerToken(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"sessions": list})
	return nil
}

func (s *Server) endOtherSessions(c *gin.Context) error {
	n, err := s.opEndOtherSessions(c, bearerToken(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"ended": n})
	return nil
}
