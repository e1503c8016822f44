/**
 * Chat services: rooms with presence, posting, typing and history ({@code RoomService}), directs
 * ({@code DirectService}) and operator notices ({@code NoticeService}), written once against the
 * {@code Backplane}, whether the node is alone or one of a cluster; the text rules; and the local
 * half of every delivery — {@code LocalDelivery} queues a published frame for this node's sessions
 * that take its kind, and {@code FanOut} starts the sending of big broadcasts on a few threads.
 * Nothing is sent while a room's lock is held.
 */
package dev.duplex.service;
