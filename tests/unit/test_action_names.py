"""Every action of the decision point's table has a name for the refusal that names it."""

from exchange.actions import ACTIONS, DOING


def test_every_action_of_the_table_is_named_for_its_refusal() -> None:
    table = ACTIONS.actions()
    assert sorted(table - set(DOING)) == []
    assert sorted(set(DOING) - table) == []  # no name for an action nobody may take
