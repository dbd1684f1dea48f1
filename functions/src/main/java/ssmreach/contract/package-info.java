/**
 * The workflow's state, one record per state input and output. The state machine passes these
 * between the functions; every field name here is a JSONPath in statemachine/workflow.asl.json.
 */
package ssmreach.contract;
