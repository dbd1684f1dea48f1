package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a subnet is ssm-reach's to remediate. */
public enum SubnetStatus {
    @JsonProperty("in-scope") IN_SCOPE,
    @JsonProperty("out-of-scope") OUT_OF_SCOPE,
    @JsonProperty("opted-out") OPTED_OUT,
    @JsonProperty("gone") GONE
}
