package ssmreach.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What a Step Functions Catch hands on: the error name (an exception class) and its cause. */
public record ErrorInfo(@JsonProperty("Error") String error, @JsonProperty("Cause") String cause) {}
