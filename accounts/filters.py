import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from drf_spectacular.utils import extend_schema_field

from core.api import AmountFilter, IdFilter, UpdatedSinceFilter
from tenancy.models import Membership

from .hooks import cell_names, quadrant_cells
from .models import Account, LifecycleStage, SizeBand
from .selectors import account_values_in_use


def _csms(request):
    if request is None or getattr(request, "organization", None) is None:
        return get_user_model().objects.none()
    member_ids = Membership.objects.values_list("user_id", flat=True)
    return get_user_model().objects.filter(pk__in=member_ids).order_by("email")


def _distinct(field):
    def choices():
        return [(value, value) for value in account_values_in_use(field)]

    return choices


def _cells(layout: str, *, unsegmented: bool = False):
    """The tenant's cells of one layout, named as its grid names them, in the grid's order."""

    def choices():
        (names,) = cell_names(layout=layout)
        return [*names.items(), *([("none", "Unsegmented")] if unsegmented else [])]

    return choices


FALLING_FAST = -10

# What moves when an account changes: its own fields, and each derived score's stamp, which the
# recompute sets only where the score really changed (core.derivation.Provider.stamp).
CHANGE_STAMPS = ("updated_at", "chs_updated_at", "cmi_updated_at", "segment_updated_at")


class ChangedSinceFilter(UpdatedSinceFilter):
    """Accounts with any change stamp at or after the moment."""

    def since(self, qs, moment):
        any_change = Q()
        for stamp in CHANGE_STAMPS:
            any_change |= Q(**{f"{stamp}__gte": moment})
        return qs.filter(any_change)


def _falling(choices):
    """Whether the CHS fell by FALLING_FAST or more in 30 days: "true" or "false"."""
    return django_filters.TypedChoiceFilter(
        choices=choices,
        coerce=lambda value: value == "true",
        method="falling_fast",
        label=f"CHS falling fast ({FALLING_FAST:+d} or worse in 30 days)",
    )


class AccountFilter(django_filters.FilterSet):
    """One filter for the list page, the CSV export and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    industry = django_filters.CharFilter()
    region = django_filters.CharFilter()
    size_band = django_filters.ChoiceFilter(choices=SizeBand.choices)
    lifecycle_stage = django_filters.ChoiceFilter(choices=LifecycleStage.choices)
    # By id: an integration asking for a CSM with no accounts gets an empty page, not a 400.
    owner_csm = IdFilter(field_name="owner_csm_id", label="CSM")
    arr_min = AmountFilter(field_name="arr", lookup_expr="gte", label="ARR from")
    arr_max = AmountFilter(field_name="arr", lookup_expr="lte", label="ARR to")
    renewal_before = django_filters.DateFilter(
        field_name="renewal_date", lookup_expr="lte", label="Renews by"
    )
    updated_since = UpdatedSinceFilter(field_name="updated_at", lookup_expr="gte")
    changed_since = ChangedSinceFilter(
        label="Changed since",
        help_text="Accounts whose fields or derived scores (CHS, CMI, level, tier, cell) "
        "changed at or after this moment. Overlap your polls by a few minutes: a recompute "
        "stamps its changes with the moment it started. To miss nothing without overlapping, "
        "poll /api/v1/accounts/changes/ instead.",
    )
    external_id = django_filters.CharFilter(label="CRM id")
    chs_level = django_filters.CharFilter(label="CHS level")
    cmi_tier = django_filters.CharFilter(label="CMI tier")
    segment = django_filters.CharFilter(method="in_segment", label="Grid cell")
    quadrant = django_filters.CharFilter(method="in_quadrant", label="2×2 cell")
    falling = _falling([("true", "true"), ("false", "false")])

    class Meta:
        model = Account
        fields = ["q", "industry", "region", "size_band", "lifecycle_stage", "owner_csm"]

    @extend_schema_field({"type": "string", "enum": ["true", "false"]})
    def falling_fast(self, queryset, name, value):
        if value is None:
            return queryset
        falling = Q(chs_trend_30__lte=FALLING_FAST)
        return queryset.filter(falling) if value else queryset.exclude(falling)

    def in_segment(self, queryset, name, value):
        return queryset.filter(segment="" if value == "none" else value)

    def in_quadrant(self, queryset, name, value):
        (cells,) = quadrant_cells(quadrant=value)
        return queryset.filter(segment__in=cells)

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(external_id__icontains=value))


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Sorting a person can click: an account without a score sorts after those with one, in
    either direction, and ties keep one order from page to page (by id)."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = F(self.param_map[param.removeprefix("-")])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "pk") if value else qs


# The list page's sortable columns: key in ?o= → model field.
SORTS = {
    "name": "name",
    "external_id": "external_id",
    "industry": "industry",
    "region": "region",
    "size_band": "size_band",
    "lifecycle_stage": "lifecycle_stage",
    "arr": "arr",
    "renewal_date": "renewal_date",
    "csm": "owner_csm__email",
    "chs": "chs",
    "chs_trend": "chs_trend_30",
    "cmi": "cmi",
    "cell": "segment",
    "updated_at": "updated_at",
}


class AccountBrowserFilter(AccountFilter):
    """In the browser, industry and region are picked from the values the tenant has, and
    the list sorts by any column (the API sorts with `?ordering=`, under its cursor)."""

    industry = django_filters.ChoiceFilter(choices=_distinct("industry"))
    region = django_filters.ChoiceFilter(choices=_distinct("region"))
    chs_level = django_filters.ChoiceFilter(choices=_distinct("chs_level"), label="CHS level")
    cmi_tier = django_filters.ChoiceFilter(choices=_distinct("cmi_tier"), label="CMI tier")
    owner_csm = django_filters.ModelChoiceFilter(queryset=_csms, label="CSM", empty_label="All")
    segment = django_filters.ChoiceFilter(
        choices=_cells("3x3", unsegmented=True), method="in_segment", label="Grid cell"
    )
    quadrant = django_filters.ChoiceFilter(
        choices=_cells("2x2"), method="in_quadrant", label="2×2 cell"
    )
    falling = _falling([("", "All"), ("true", "Yes"), ("false", "No")])  # typed: no blank added
    updated_since = None  # type: ignore[assignment]  # an integration's filter, not a person's
    changed_since = None  # type: ignore[assignment]
    external_id = None  # type: ignore[assignment]  # the search box finds CRM ids
    o = NullsLastOrderingFilter(
        fields=[(field, key) for key, field in SORTS.items()],
        label="Sort",
        empty_label="Name (default)",
    )
