package ssmreach.contract;

/** Input of the instance selection: the target and the classification of its subnets. */
public record SelectionRequest(Target target, VpcClassification classification) {}
