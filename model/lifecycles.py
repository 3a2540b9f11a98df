"""Every lifecycle the workflow service knows, by item type."""

from model.purchases import PURCHASES
from model.workflow import Lifecycle
from states.values import ItemType

LIFECYCLES: dict[ItemType, Lifecycle] = {
    ItemType.purchase: PURCHASES,
}
