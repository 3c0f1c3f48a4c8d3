"""slow_movers' time split: no training label window reaches past the first test origin."""

from datetime import date, timedelta

from spark.ml.slow_movers import EMBARGO_WEEKS, HORIZON_DAYS, LABELLED_WEEKS, TEST_WEEKS, embargoed_split


def test_training_label_windows_end_before_the_test_origins_start():
    sundays = [date(2026, 1, 4) + timedelta(weeks=k) for k in range(LABELLED_WEEKS)]
    train, test = embargoed_split(sundays)
    assert test == sundays[-TEST_WEEKS:]
    assert train == sundays[: -TEST_WEEKS - EMBARGO_WEEKS]
    # a training origin's label covers the HORIZON_DAYS after it: the last one ends on the first test origin
    assert train[-1] + timedelta(days=HORIZON_DAYS) == test[0]
    dropped = sundays[len(train) : -TEST_WEEKS]
    assert all(d + timedelta(days=HORIZON_DAYS) > test[0] for d in dropped)


def test_too_few_weeks_leave_nothing_to_train_on():
    sundays = [date(2026, 1, 4) + timedelta(weeks=k) for k in range(TEST_WEEKS + EMBARGO_WEEKS)]
    assert embargoed_split(sundays)[0] == []
