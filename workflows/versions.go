package workflows

// Changes of workflow logic, each gated with workflow.GetVersion so that
// a saga in flight when the worker is upgraded replays the commands its
// history holds: a history without the change's marker takes the old path
// (workflow.DefaultVersion), a new saga records the marker and takes the
// new one. A change ID is never reused or renamed; its old path is removed
// only when no history without its marker can still be replayed.
const (
	// changeUndoOnlyOnProof: a failed step's compensation is dropped only
	// when the service refused it with one of the step's Refusals; before,
	// any non-retryable failure dropped it (a 401 or a reused key on a
	// later attempt kept the money of an earlier one).
	changeUndoOnlyOnProof = "undo-only-on-proof"
	// changeDTIDOwnsWorkflowID: a saga refuses a DTID that does not belong
	// to its workflow ID, so a second workflow cannot run, and undo, the
	// steps of another's DTID.
	changeDTIDOwnsWorkflowID = "dtid-owns-workflow-id"
	// changeSKUBoundOfOrder: a SKU longer than the order service takes
	// (orderapi.MaxSKULen) is invalid input; before, such a saga charged,
	// was refused at the order step and refunded.
	changeSKUBoundOfOrder = "sku-bound-of-order"
	// changeRandomEventID: the scoring event's ID is random, recorded with
	// a side effect; before, it was derived from the DTID, so anyone could
	// publish under it first.
	changeRandomEventID = "random-event-id"
	// changeOperatorUpdates: a parked saga takes the operator's
	// retry-compensation and resolve-compensation updates, and drops
	// signals sent while it was not parked; before, it waited for the
	// signal alone, and an early signal was spent by the next park.
	changeOperatorUpdates = "operator-updates"
	// changeSagaStatusAttribute: the saga keeps the SagaStatus search
	// attribute current, so parked sagas are found with one query.
	changeSagaStatusAttribute = "saga-status-attribute"
	// changeLenientInput: the input is decoded leniently and an unknown
	// field is refused as invalid input by the saga (unless retired, see
	// retiredInputFields); before, the decoder itself refused it, which a
	// removed field would turn into a replay failure.
	changeLenientInput = "lenient-input"
	// changeScoreInCurrencyUnits: the score delta counts whole units of
	// the order's currency; before, hundredths of any currency (1299 yen
	// scored 12).
	changeScoreInCurrencyUnits = "score-in-currency-units"
	// changeValidateInLocalActivity: the input is checked in a local
	// activity whose answer the history records, so a rule that changes
	// later cannot change a saga in flight (validate.go); before, inline.
	changeValidateInLocalActivity = "validate-in-local-activity"
	// changeCanceledWithState: a saga compensated because it was cancelled
	// closes as cancelled with its state as the details; before, it closed
	// as cancelled without them.
	changeCanceledWithState = "canceled-with-state"
	// changeDTIDUniqueAcrossWorkflows: a saga refuses a DTID that another
	// saga (under the other workflow ID that owns it) already has.
	changeDTIDUniqueAcrossWorkflows = "dtid-unique-across-workflows"
	// changeAutoRetry: a parked saga retries its failing compensation by
	// itself on the schedule of the worker that parked it first
	// (AutoRetry, recorded in the history), until an operator acts or the
	// window closes; before, it waited for an operator alone.
	changeAutoRetry = "auto-retry"
)
