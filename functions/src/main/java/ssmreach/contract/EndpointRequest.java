package ssmreach.contract;

/** Input of the endpoint step: the VPC as classified and as prepared. */
public record EndpointRequest(VpcClassification classification, VpcReadiness vpc, boolean dryRun) {}
