package ssmreach.contract;

/**
 * Input of the endpoint step: the VPC as classified and as prepared. {@code executionId} (the
 * workflow execution's) scopes the idempotency tokens of interface endpoints to one execution.
 */
public record EndpointRequest(VpcClassification classification, VpcReadiness vpc, boolean dryRun, String executionId) {}
