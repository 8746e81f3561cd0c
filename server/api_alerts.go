package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"registro/alerts"
	"registro/validation"
)

func (s *Server) alertAPIRoutes(api *gin.RouterGroup) {
	api.GET("/alerts", s.handle(s.listAlerts))
	api.POST("/alerts", s.handle(s.proposeAlert))
	api.GET("/alerts/settings", s.handle(s.alertSettings))
	api.PUT("/alerts/settings", s.handle(s.setAlertSettings))
	api.GET("/alerts/:id", s.handle(s.showAlert))
	api.GET("/alerts/:id/text", s.handle(s.alertTextAPI))
	api.PATCH("/alerts/:id", s.handle(s.editAlert))
	for _, action := range []string{"approve", "reject", "renew", "withdraw", "share"} {
		api.POST("/alerts/:id/"+action, s.handle(s.decideAlert(action)))
	}
}

// listAlerts answers GET /api/v1/alerts?list=current|proposals|mine|ended&district=.
func (s *Server) listAlerts(c *gin.Context) error {
	list, err := s.opListAlerts(c, c.Query("list"), c.Query("district"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"alerts": list})
	return nil
}

// proposeAlert answers POST /api/v1/alerts: 201 with the proposal.
func (s *Server) proposeAlert(c *gin.Context) error {
	var in alerts.Input
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := s.opProposeAlert(c, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, a)
	return nil
}

// showAlert answers GET /api/v1/alerts/{id}.
func (s *Server) showAlert(c *gin.Context) error {
	a, err := s.opGetAlert(c, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, a)
	return nil
}

// alertTextAPI answers GET /api/v1/alerts/{id}/text: the plain text to pass on
// WhatsApp, without the fields marked internal.
func (s *Server) alertTextAPI(c *gin.Context) error {
	a, err := s.opGetAlert(c, c.Param("id"))
	if err != nil {
		return err
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(s.alertText(a, s.apiLang(c))))
	return nil
}

// alertEdit is the body of PATCH /api/v1/alerts/{id}: the whole content again, and the
// version it was read at.
type alertEdit struct {
	alerts.Input
	Version int64 `json:"version"`
}

// editAlert answers PATCH /api/v1/alerts/{id}.
func (s *Server) editAlert(c *gin.Context) error {
	var in alertEdit
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := s.opChangeAlert(c, c.Param("id"), alertChange{Action: "edit", Version: in.Version, Input: &in.Input})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, a)
	return nil
}

// alertDecision is the body of POST /api/v1/alerts/{id}/{action}; every field is
// optional (version: the version read; reason: for reject; shared: for share).
type alertDecision struct {
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
	Shared  bool   `json:"shared"`
}

// decideAlert answers POST /api/v1/alerts/{id}/approve|reject|renew|withdraw|share.
func (s *Server) decideAlert(action string) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		var in alertDecision
		if c.Request.ContentLength != 0 {
			if err := decode(c, &in); err != nil {
				return err
			}
		}
		a, err := s.opChangeAlert(c, c.Param("id"), alertChange{Action: action, Version: in.Version, Reason: in.Reason, Shared: in.Shared})
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, a)
		return nil
	}
}

// alertSettingsBody is GET and PUT /api/v1/alerts/settings.
type alertSettingsBody struct {
	Receive *bool `json:"receive"`
}

func (s *Server) alertSettings(c *gin.Context) error {
	on, err := s.opAlertSettings(c, nil)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, alertSettingsBody{Receive: &on})
	return nil
}

func (s *Server) setAlertSettings(c *gin.Context) error {
	var in alertSettingsBody
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Receive == nil {
		return validation.Field("receive", validation.Required)
	}
	on, err := s.opAlertSettings(c, in.Receive)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, alertSettingsBody{Receive: &on})
	return nil
}
