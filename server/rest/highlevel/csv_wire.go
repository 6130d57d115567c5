package highlevel

// The CSV import's shapes, as the official SDK types them
// (UploadFileResponseSchema, SetAccountsDTO, CSVImportSchema,
// CSVPostSchema, CSVDefaultDTO), with the ids a client needs to go on: an
// import's _id, and each of its posts' _id (for DELETE .../post/{postId})
// and postId once finalized.

// uploadResults is the upload's answer: filePath names the upload for
// set-accounts.
type uploadResults struct {
	FilePath  string `json:"filePath"`
	RowsCount int    `json:"rowsCount"`
	FileName  string `json:"fileName"`
}

// setAccountsInput is set-accounts' body (SetAccountsDTO).
type setAccountsInput struct {
	AccountIDs []string `json:"accountIds"`
	FilePath   *string  `json:"filePath,omitempty"`
	// RowsCount is how many posts of the file to import, from the first.
	RowsCount   *int    `json:"rowsCount,omitempty"`
	FileName    *string `json:"fileName,omitempty"`
	Approver    *string `json:"approver,omitempty"`
	UserID      *string `json:"userId,omitempty"`
	CSVFileType *string `json:"csvFileType,omitempty"`
}

// finalizeInput is finalize's body (CSVDefaultDTO).
type finalizeInput struct {
	UserID *string `json:"userId,omitempty"`
}

// csvJSON is an import (CSVImportSchema). status is pending (waiting to
// be finalized), completed, or partial (rows with errors were left out);
// posted and failed count the rows finalized into posts and left out.
type csvJSON struct {
	ID          string    `json:"_id"`
	LocationID  string    `json:"locationId"`
	FileName    string    `json:"fileName"`
	AccountIDs  []string  `json:"accountIds"`
	File        string    `json:"file"`
	Status      string    `json:"status"`
	Count       int       `json:"count"`
	Posted      int       `json:"posted"`
	Failed      int       `json:"failed"`
	CreatedBy   string    `json:"createdBy,omitempty"`
	Approver    string    `json:"approver,omitempty"`
	CSVFileType string    `json:"csvFileType,omitempty"`
	CreatedAt   jsTime    `json:"createdAt"`
	UpdatedAt   jsTime    `json:"updatedAt"`
	User        *userJSON `json:"user,omitempty"`
}

// csvMediaJSON is a post's media item (CSVMediaResponseSchema), its type
// from the URL's extension and its column.
type csvMediaJSON struct {
	URL  string `json:"url"`
	Type string `json:"type"`
}

// csvPostJSON is one post of an import (CSVPostSchema): row is its place
// in the file; errorMessage says why it cannot be posted.
type csvPostJSON struct {
	ID              string         `json:"_id"`
	Row             int            `json:"row"`
	PostID          string         `json:"postId,omitempty"`
	AccountIDs      []string       `json:"accountIds"`
	Link            string         `json:"link,omitempty"`
	Medias          []csvMediaJSON `json:"medias"`
	ScheduleDate    *jsTime        `json:"scheduleDate,omitempty"`
	Summary         string         `json:"summary"`
	FollowUpComment string         `json:"followUpComment,omitempty"`
	Type            string         `json:"type"`
	ErrorMessage    string         `json:"errorMessage,omitempty"`
}

// Results of the CSV routes.
type (
	csvsResults struct {
		CSVs  []csvJSON `json:"csvs"`
		Count int       `json:"count"`
	}
	csvResults struct {
		CSV csvJSON `json:"csv"`
	}
	csvPostsResults struct {
		CSV   csvJSON       `json:"csv"`
		Count int           `json:"count"`
		Posts []csvPostJSON `json:"posts"`
	}
)
