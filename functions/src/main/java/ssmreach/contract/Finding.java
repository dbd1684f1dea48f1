package ssmreach.contract;

/** Something found that a person should know or fix; {@code fix} says how. */
public record Finding(String code, Severity severity, String resource, String message, String fix) {}
