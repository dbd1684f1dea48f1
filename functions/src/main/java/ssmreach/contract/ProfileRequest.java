package ssmreach.contract;

/** Input of one iteration of the profile step. */
public record ProfileRequest(InstanceTarget instance, boolean dryRun) {}
