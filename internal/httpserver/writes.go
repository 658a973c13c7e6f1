package httpserver

import "net/http"

// WriteCreated answers a write with v: 201 Created with a Location of
// location when this request created the resource, 200 OK when it
// replayed an earlier request with the same key.
func WriteCreated(w http.ResponseWriter, created bool, location string, v any) error {
	if !created {
		return WriteJSON(w, http.StatusOK, v)
	}
	w.Header().Set("Location", location)
	return WriteJSON(w, http.StatusCreated, v)
}
