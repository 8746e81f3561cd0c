package server

import "github.com/gin-gonic/gin"

// routes lists every route of the server in one place.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	open := r.Group("/api/v1")
	open.GET("/vocabularies", s.handle(s.vocabularies))
	open.GET("/openapi.json", s.openAPI)
	open.POST("/login", s.handle(s.login))

	api := r.Group("/api/v1", s.authenticate)
	api.POST("/logout", s.handle(s.logout))
	api.GET("/me", s.handle(s.me))
	api.POST("/me/password", s.handle(s.changeOwnPassword))
	api.POST("/me/second-factor", s.handle(s.beginSecondFactor))
	api.POST("/me/second-factor/confirm", s.handle(s.confirmSecondFactor))
	api.GET("/me/sessions", s.handle(s.listOwnSessions))
	api.POST("/me/sessions/end-others", s.handle(s.endOtherSessions))

	api.POST("/orgs", s.handle(s.createOrg))
	api.GET("/orgs", s.handle(s.listOrgs))
	api.POST("/users", s.handle(s.createUser))
	api.GET("/users", s.handle(s.listUsers))
	api.PATCH("/users/:id", s.handle(s.updateUser))

	api.POST("/cases", s.handle(s.createCase))
	api.GET("/cases", s.handle(s.listCases))
	api.POST("/subjects/lookup", s.handle(s.lookupSubject))
	api.GET("/subjects/:subject/summary", s.handle(s.subjectSummary))
	api.POST("/subjects/:subject/consent", s.handle(s.subjectConsent))
	api.POST("/subjects/:subject/erase", s.handle(s.subjectErase))
	api.GET("/cases/:id", s.handle(s.showCase))
	api.PATCH("/cases/:id", s.handle(s.updateCase))
	api.DELETE("/cases/:id", s.handle(s.eraseCase))
	api.POST("/cases/:id/followups", s.handle(s.addFollowup))
	api.POST("/cases/:id/grants", s.handle(s.grantCase))
	api.DELETE("/cases/:id/grants/:user", s.handle(s.revokeGrant))

	api.GET("/stats", s.handle(s.showStats))
	api.GET("/stats/releases", s.handle(s.listReleases))
	api.POST("/stats/releases", s.handle(s.publishRelease))

	s.alertAPIRoutes(api)

	api.GET("/audit", s.handle(s.listAudit))
	api.GET("/audit/verify", s.handle(s.verifyAudit))

	// Web pages: the same operations as the API, rendered as HTML for browsers.
	r.GET("/static/:name", s.serveAsset)
	r.GET("/sw.js", s.serveWorker)
	r.GET("/manifest.webmanifest", s.serveManifest)
	r.GET("/offline", s.showOffline)
	r.GET("/login", s.page(s.showLogin))
	r.POST("/login", s.page(s.signIn))
	web := r.Group("/", s.webAuthenticate)
	web.GET("/", s.page(s.showHome))
	web.POST("/logout", s.page(s.signOut))
	web.POST("/lang", s.page(s.switchLang))
	web.GET("/phone", s.page(s.showPhone))
	web.GET("/account", s.page(s.showAccount))
	web.POST("/notices/seen", s.page(s.seeNotices))
	web.POST("/account/password", s.page(s.changePassword))
	s.accountRoutes(web)
	s.importRoutes(web)
	s.rightsRoutes(web)
	s.alertRoutes(web)

	// Pages: recording an incident.
	web.GET("/cases/new", s.page(s.showRecordForm))
	web.POST("/cases/new", s.page(s.submitRecord))
	web.GET("/cases/:id/recorded", s.page(s.showRecorded))

	// Pages: cases, follow-ups and shares.
	web.GET("/cases", s.page(s.showCases))
	web.GET("/cases/:id", s.page(s.showCasePage))
	web.POST("/cases/:id/followups", s.page(s.addFollowupPage))
	web.GET("/cases/:id/edit", s.page(s.showEditCase))
	web.POST("/cases/:id/edit", s.page(s.editCase))
	web.GET("/cases/:id/share", s.page(s.showShareCase))
	web.POST("/cases/:id/share", s.page(s.shareCase))
	web.POST("/cases/:id/grants/:user/revoke", s.page(s.revokeCaseGrant))
	web.GET("/cases/:id/erase", s.page(s.showEraseCase))
	web.POST("/cases/:id/erase", s.page(s.eraseCasePage))

	// Pages: statistics.
	web.GET("/stats", s.page(s.showStatsPage))
	web.GET("/stats/export", s.page(s.exportStats))
	web.POST("/stats/releases", s.page(s.publishReleasePage))

	// Pages: accounts, organizations and the access log.
	web.GET("/accounts", s.page(s.showAccounts))
	web.POST("/accounts", s.page(s.createAccount))
	web.POST("/accounts/:id", s.page(s.changeAccount))
	web.GET("/orgs", s.page(s.showOrgs))
	web.POST("/orgs", s.page(s.createOrgAndCoordinator))
	web.GET("/audit", s.page(s.showAudit))
	web.POST("/audit/verify", s.page(s.verifyAuditPage))
}
