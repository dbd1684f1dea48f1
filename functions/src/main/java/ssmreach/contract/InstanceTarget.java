package ssmreach.contract;

/** An instance selected for the profile step, with the subnet it runs in. */
public record InstanceTarget(String instanceId, String subnetId, String state) {}
