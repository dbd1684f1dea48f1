package ssmreach.contract;

/**
 * One VPC of a batch or a sweep, as the execution that ran it ended: its outcome, that
 * execution, and its summary ({@code null} when the execution handed its waits on, whose own
 * result follows); or, when it failed, the error as Step Functions caught it.
 */
public record VpcOutcome(String vpcId, String outcome, String execution, VpcSummary summary, ErrorInfo error) {}
