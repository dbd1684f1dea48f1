package ssmreach.contract;

/**
 * TakeTurn's answer: whether this batch may go on now; if not, the batch running ahead of it (the
 * first started) and how long to wait before asking again.
 */
public record Turn(boolean mine, String waitingFor, int waitSeconds) {}
