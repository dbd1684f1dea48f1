package ssmreach.contract;

/** A batch execution asking whether it may start: itself and its state machine ($$.Execution.Id, $$.StateMachine.Id). */
public record TurnRequest(String executionArn, String stateMachineArn) {}
