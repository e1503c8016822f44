/**
 * Web: the servlet-side pieces — the operator notice API ({@code POST /api/notices}), the
 * listener that starts and stops the chat services with the application, and the request
 * listener that lets the WebSocket origin check see the request's host.
 */
package dev.duplex.web;
