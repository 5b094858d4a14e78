"""The people of one demo city, simulated month by month (vectorised numpy, no per-person loops).

Two states are kept apart:
- the *truth*: who lives in the city, in which cell and at which address (`present`, `hh_cell`);
- the *register*: what the office has recorded (`reg`, `reg_cell`, ...). It changes only when
  an event is recorded (its `meldedatum`), so a stock on a reference date contains exactly the
  events recorded by that day. `*_f` arrays hold the register as it will be once every event
  already generated is recorded; new events are generated from that view.

People arrive in households (which also form the SGB II Bedarfsgemeinschaften), register or not,
move inside the city (reporting it or not), leave (deregistering, or later removed by the office,
or never), are born and die. Dates are int32 days since 1970-01-01.

Memory follows the people who can still matter: before a month the person store drops those
who can produce no event, row or truth count any more (`compact`). Row positions change then;
a person's `id` (pseudonym, draws) never does, so compaction changes no output.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from ingest.demo import calibration as cal
from ingest.demo import geography as geo
from ingest.demo.assumptions import DEMO, Assumptions, frailty

EPOCH = date(1970, 1, 1)
NEVER = np.int32(2**31 - 1)
EVENT_TYPES = (
    "ZU_AUSLAND",
    "ZU_INLAND",
    "ZU_UNBEKANNT",
    "STATUS_NW_HW",
    "FO_AUSLAND",
    "FO_INLAND",
    "FO_UNBEKANNT",
    "AVA",
    "STATUS_HW_NW",
    "UMZUG",
    "GEBURT",
    "TOD",
)
EV = {name: i for i, name in enumerate(EVENT_TYPES)}
ZU_TYPES = np.array([EV["ZU_AUSLAND"], EV["ZU_INLAND"], EV["ZU_UNBEKANNT"], EV["STATUS_NW_HW"], EV["GEBURT"]])
SEXES = np.array(["m", "w", "d", "x"], dtype=object)

# Other municipalities as origins/destinations of *_INLAND moves.
INLAND_DE = (
    "05111000",
    "05112000",
    "05113000",
    "05913000",
    "05911000",
    "05315000",
    "05124000",
    "05122000",
    "05117000",
    "05515000",
    "05513000",
    "05915000",
    "11000000",
    "02000000",
    "09162000",
    "06412000",
    "05334002",
    "05562014",
)
INLAND_NL = ("GM0164", "GM0363", "GM0599", "GM0344", "GM0173", "GM0158", "GM0268", "GM0193")
# Countries of origin of Germans/Dutch coming from abroad (Destatis keys).
ABROAD_NATIONALS = ("129", "368", "158", "151", "148", "167", "161", "000")

PROBLEM_STATUS = ("BEOBACHTET", "IN_BEARBEITUNG", "GERAEUMT", "SANIERT", "ABGESCHLOSSEN")
HOUSES_PEOPLE = np.array([True, True, False, False, True])  # statuses in which people live there


def days(d: date) -> int:
    return (d - EPOCH).days


def to_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def month_bounds(year: int, month: int) -> tuple[int, int]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return days(first), days(nxt) - 1


class Columns:
    """Growable set of equally long numpy columns (capacity x1.5 when full) that can be compacted.

    Every row gets a stable `id` (its position among all rows ever appended): pseudonyms and
    per-household random draws are keyed by it, so dropping rows changes no output.
    """

    def __init__(self, spec: dict[str, tuple[np.dtype, object]]):
        self.spec = {**spec, "id": (np.int64, -1)}
        self.n = 0  # rows held
        self.total = 0  # rows ever appended (the next id)
        self.cap = 1024
        self.cols = {k: np.full(self.cap, fill, dtype=dt) for k, (dt, fill) in self.spec.items()}

    def _resize(self, cap: int) -> None:
        for k, (dt, fill) in self.spec.items():
            new = np.full(cap, fill, dtype=dt)
            new[: self.n] = self.cols[k][: self.n]
            self.cols[k] = new
        self.cap = cap

    def append(self, values: dict[str, np.ndarray], count: int) -> np.ndarray:
        if self.n + count > self.cap:
            cap = self.cap
            while self.n + count > cap:
                cap = cap * 3 // 2  # not doubling: at national scale the slack is GBs
            self._resize(cap)
        idx = np.arange(self.n, self.n + count)
        for k, v in values.items():
            self.cols[k][idx] = v
        self.cols["id"][idx] = np.arange(self.total, self.total + count)
        self.n += count
        self.total += count
        return idx

    def keep(self, mask: np.ndarray) -> np.ndarray:
        """Drop the rows where mask is False (order kept); returns old index -> new index (-1: dropped)."""
        kept = np.flatnonzero(mask)
        remap = np.full(self.n, -1, dtype=np.int64)
        remap[kept] = np.arange(kept.size)
        cap = max(1024, int(kept.size * 1.5))  # room to grow before the next resize
        for k, (dt, fill) in self.spec.items():
            new = np.full(cap, fill, dtype=dt)
            new[: kept.size] = self.cols[k][kept]
            self.cols[k] = new
        self.n, self.cap = kept.size, cap
        return remap

    def __getattr__(self, name):
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)


def uniform_by_id(rng: np.random.Generator, total: int, ids: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """`rng.random(total)[ids]` for ascending ids, drawn in chunks: the generator advances exactly
    as with one call of size `total` (doubles take one 64-bit output each, so a stream split in
    chunks is the same stream), but memory stays at one chunk however many rows were dropped."""
    if total <= chunk:
        return rng.random(total)[ids]
    out = np.empty(ids.size)
    pos = 0
    for lo in range(0, total, chunk):
        hi = min(lo + chunk, total)
        vals = rng.random(hi - lo)
        end = int(np.searchsorted(ids, hi, side="left"))
        out[pos:end] = vals[ids[pos:end] - lo]
        pos = end
    return out


# Calendar lookup (year and day of the year of every day 1800-2199): the truth tables ask for
# ages of millions of people each quarter, and numpy's datetime64 year arithmetic was 15 % of
# the generator's time.
_CAL_FIRST = days(date(1800, 1, 1))
_CAL_DAYS = np.arange(_CAL_FIRST, days(date(2200, 1, 1)), dtype=np.int64)
_CAL_YEAR = _CAL_DAYS.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
_CAL_DOY = (
    _CAL_DAYS - _CAL_DAYS.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
).astype(np.int16)
_CAL_YEAR = _CAL_YEAR.astype(np.int16)


def age_on(birth: np.ndarray, d: int) -> np.ndarray:
    """Completed years on day d of people born on `birth` (days since 1970-01-01)."""
    i = np.asarray(birth, dtype=np.int64) - _CAL_FIRST
    k = int(d) - _CAL_FIRST
    years = np.int64(_CAL_YEAR[k]) - _CAL_YEAR[i]
    return years - (_CAL_DOY[i] > _CAL_DOY[k])


PERSON_SPEC = {
    "hh": (np.int32, -1),
    "birth": (np.int32, 0),
    "sex": (np.int8, 0),
    "nat": (np.int16, 0),
    "nat2": (np.int16, -1),
    "group": (np.int8, 0),
    "present": (np.bool_, False),
    "alive": (np.bool_, True),
    "arrival": (np.int32, -1),
    "left": (np.int32, -1),
    "busy": (np.int32, 0),
    "ava": (np.int32, NEVER),
    # register as recorded so far
    "reg": (np.bool_, False),
    "reg_cell": (np.int16, -1),
    "reg_addr": (np.int64, -1),
    "reg_zuzug": (np.int32, -1),
    "reg_einzug": (np.int32, -1),
    # register once all generated events are recorded
    "reg_f": (np.bool_, False),
    "reg_cell_f": (np.int16, -1),
    "reg_addr_f": (np.int64, -1),
}
HH_SPEC = {
    "cell": (np.int16, 0),
    "addr": (np.int64, 0),
    "group": (np.int8, 0),
    "sgb2": (np.bool_, False),
    "sgb2_since": (np.int32, -1),
}
EVENT_FIELDS = ("person", "etype", "edate", "mdate", "cell_alt", "cell_neu", "addr", "herkunft")
PROBLEM_ADDR = np.int64(1) << 40  # addresses from here on are problem properties
# Compact the person store when this share of its rows can no longer matter (None: never).
COMPACT_SHARE: float | None = 0.2


@dataclass
class Property:
    cell: int
    units: int
    since: int  # aufnahme_datum
    status: int  # index into PROBLEM_STATUS
    vacancy: int
    last_check: int = -1
    registered: int = -1
    found_registered: int = -1
    found_unregistered: int = -1


class CityWorld:
    """One city. `step_month` advances the truth, returns recorded events and side records."""

    def __init__(
        self,
        city: str,
        country: str,
        own_key: str,
        scale: float,
        rng: np.random.Generator,
        start: date,
        sources: frozenset[str] | None = None,
        assumptions: Assumptions = DEMO,
    ):
        self.city, self.country, self.scale, self.rng = city, country, scale, rng
        self.assumptions = assumptions
        # processes only some sources need are skipped when those are not written (huge scales)
        self.sources = sources if sources is not None else frozenset({"sgb2", "beratung", "wohnen", "schule"})
        self.profile = cal.PROFILES[city]
        self.cells = geo.cells(city)
        pop_w = np.array([c.pop for c in self.cells], dtype=float)
        eu2_w = np.array([c.eu2 for c in self.cells], dtype=float)
        self.cell_weights = {
            cal.DE: pop_w / pop_w.sum(),
            cal.EU_SONST: pop_w / pop_w.sum(),
            cal.EU2: eu2_w / eu2_w.sum(),
            cal.ASYL8: 0.5 * pop_w / pop_w.sum() + 0.5 * eu2_w / eu2_w.sum(),
            cal.DRITT: 0.6 * pop_w / pop_w.sum() + 0.4 * eu2_w / eu2_w.sum(),
        }
        # normal addresses per cell: about 6 persons per address
        target = self.profile.population * scale
        self.addr_per_cell = np.maximum(10, (target * pop_w / pop_w.sum() / 6).astype(np.int64))
        self.behaviour = [cal.behaviour(city, g) for g in range(len(cal.GROUPS))]
        # nationality tables: index -> Destatis key
        keys: list[str] = []
        self.group_nats = []
        for g in range(len(cal.GROUPS)):
            w = cal.nationality_weights(city, g, country)
            ids = []
            for k in w:
                if k not in keys:
                    keys.append(k)
                ids.append(keys.index(k))
            p = np.array(list(w.values()), dtype=float)
            self.group_nats.append((np.array(ids), p / p.sum()))
        for k in list(cal.SECOND_NATIONALITY_DE) + ["166"] + list(ABROAD_NATIONALS):
            if k not in keys:
                keys.append(k)
        self.nat_keys = np.array(keys, dtype=object)
        self.inland = tuple(c for c in (INLAND_NL if country == "NL" else INLAND_DE) if c != own_key)
        # herkunft codes: inland municipalities, then country keys (by nat index)
        self.herkunft_codes = np.array(list(self.inland) + keys, dtype=object)
        self.p = Columns(PERSON_SPEC)
        self.h = Columns(HH_SPEC)
        self.pending: list[dict[str, np.ndarray]] = []
        self.reform_day = days(geo.REFORM_DATE) if city == geo.REFORM_CITY else None
        self.today = days(start)
        self.month_start = days(start)
        self.properties = self._make_properties(start)
        self.inspections: list[dict] = []
        self.flows: dict[str, np.ndarray] = {}
        self._populate(start)

    # ---------------------------------------------------------------- set-up
    def _make_properties(self, start: date) -> list[Property]:
        prof = self.profile
        if not prof.problem_properties or not prof.problem_cells:
            return []
        n = max(1, int(round(prof.problem_properties * self.scale)))  # at least one to report
        codes = [c.code for c in self.cells]
        weights = {codes.index(k): v for k, v in prof.problem_cells.items()}
        # deterministic allocation by largest remainder: the published split at any scale
        total = sum(weights.values())
        quota = {c: n * w / total for c, w in weights.items()}
        alloc = {c: int(np.floor(q)) for c, q in quota.items()}
        for c in sorted(quota, key=lambda c: quota[c] - alloc[c], reverse=True)[: n - sum(alloc.values())]:
            alloc[c] += 1
        props = []
        s = days(start)
        for c, k in alloc.items():
            for _ in range(k):
                units = int(self.rng.integers(6, 31))
                since = s - int(self.rng.integers(0, 5 * 365))
                status = int(self.rng.choice([0, 1], p=[0.6, 0.4]))
                props.append(Property(c, units, since, status, int(self.rng.integers(0, units // 3 + 1))))
        return props

    def _problem_addr(self, prop_idx: np.ndarray) -> np.ndarray:
        return PROBLEM_ADDR + prop_idx.astype(np.int64)

    def _normal_addr(self, cells: np.ndarray) -> np.ndarray:
        k = (self.rng.random(cells.size) * self.addr_per_cell[cells]).astype(np.int64)
        return (cells.astype(np.int64) << 32) + k

    def _choose_homes(self, group: int, n: int, arrivals: bool) -> tuple[np.ndarray, np.ndarray]:
        """Cell and address of n new households of a group (problem properties for some)."""
        cells = self.rng.choice(len(self.cells), size=n, p=self.cell_weights[group])
        addr = self._normal_addr(cells)
        share = {cal.EU2: self.profile.problem_share_eu2, cal.DRITT: 0.03, cal.ASYL8: 0.03}.get(group, 0.0)
        open_props = [i for i, pr in enumerate(self.properties) if HOUSES_PEOPLE[pr.status]]
        if share and open_props and n:
            take = self.rng.random(n) < share
            w = np.array([self.properties[i].units for i in open_props], dtype=float)
            pick = np.array(open_props)[self.rng.choice(len(open_props), size=int(take.sum()), p=w / w.sum())]
            cells[take] = [self.properties[i].cell for i in pick]
            addr[take] = self._problem_addr(pick)
        return cells, addr

    def _new_households(
        self, group: int, n_persons: float, day0: int, span: int, arrivals: bool, nat_override: int | None = None
    ) -> np.ndarray:
        """Create households of about n_persons people; returns the new person indices."""
        rng = self.rng
        shares = np.array(cal.age_shares(self.city, group, arrivals))
        child = shares[:3].sum()
        p_couple = 0.5 if group == cal.DE else 0.6
        lam = child * (1 + p_couple) / (1 - child) / 0.75  # only adults under 55 bring children
        mean_size = 1 + p_couple + lam * 0.75
        target = rng.poisson(max(n_persons, 0))  # persons; households are cut to fit
        if target == 0:
            return np.empty(0, dtype=np.int64)
        n_hh = int(target / mean_size * 1.5) + 5
        adult_p = shares[3:] / shares[3:].sum()
        edges = np.array(cal.AGE_BAND_EDGES)
        band = rng.choice(4, size=n_hh, p=adult_p) + 3
        age1 = edges[band] + rng.random(n_hh) * (edges[band + 1] - edges[band])
        couple = rng.random(n_hh) < p_couple
        n_kids = np.where(age1 < 55, rng.poisson(lam, n_hh), 0)
        size = 1 + couple + n_kids
        n_hh = min(n_hh, int(np.searchsorted(np.cumsum(size), target)) + 1)
        band, age1, couple, n_kids, size = band[:n_hh], age1[:n_hh], couple[:n_hh], n_kids[:n_hh], size[:n_hh]
        hh_first = self.h.n
        cells, addr = self._choose_homes(group, n_hh, arrivals)
        self.h.append({"cell": cells, "addr": addr, "group": np.full(n_hh, group)}, n_hh)
        hh_idx = np.repeat(np.arange(hh_first, hh_first + n_hh), size)
        # role within household: 0 reference adult, 1 partner, 2.. children
        starts = np.repeat(np.cumsum(size) - size, size)
        role = np.arange(size.sum()) - starts
        has_partner = np.repeat(couple, size)
        is_partner = (role == 1) & has_partner
        is_child = role >= np.where(has_partner, 2, 1)
        a1 = np.repeat(age1, size)
        age = a1.copy()
        age[is_partner] = np.clip(a1[is_partner] + rng.normal(0, 4, is_partner.sum()), 18, 90)
        kid_p = shares[:3] / shares[:3].sum()
        kb = rng.choice(3, size=int(is_child.sum()), p=kid_p)
        kid_age = edges[kb] + rng.random(kb.size) * (edges[kb + 1] - edges[kb])
        age[is_child] = np.minimum(kid_age, np.maximum(a1[is_child] - 17, 0))
        n = age.size
        when = day0 + (rng.random(n_hh) * span).astype(np.int32)
        when_p = np.repeat(when, size)
        birth = (when_p - age * 365.25).astype(np.int32)
        sex1 = rng.random(n_hh) < 0.5
        sex = np.where(rng.random(n) < 0.5, 0, 1).astype(np.int8)
        sex[role == 0] = np.where(np.repeat(sex1, size)[role == 0], 0, 1)
        sex[is_partner] = np.where(np.repeat(sex1, size)[is_partner], 1, 0)
        odd = rng.random(n)
        sex[odd < 0.0015] = 3
        sex[odd < 0.0005] = 2
        ids, p = self.group_nats[group]
        if nat_override is not None:
            nat_hh = np.full(n_hh, nat_override)
        else:
            nat_hh = ids[rng.choice(ids.size, size=n_hh, p=p)]
        nat = np.repeat(nat_hh, size).astype(np.int16)
        nat2 = np.full(n, -1, dtype=np.int16)
        if group == cal.DE and self.country == "DE":
            second = rng.random(n) < cal.SHARE_SECOND_NATIONALITY
            keys = list(cal.SECOND_NATIONALITY_DE)
            w = np.array(list(cal.SECOND_NATIONALITY_DE.values()))
            pick = rng.choice(len(keys), size=int(second.sum()), p=w / w.sum())
            nat2[second] = [list(self.nat_keys).index(keys[i]) for i in pick]
        return self.p.append(
            {
                "hh": hh_idx,
                "birth": birth,
                "sex": sex,
                "nat": nat,
                "nat2": nat2,
                "group": np.full(n, group, dtype=np.int8),
                "present": np.ones(n, bool),
                "arrival": when_p,
            },
            n,
        )

    def _populate(self, start: date) -> None:
        """Stock on the start day: households with past arrival dates (steady-state dwell)."""
        s = days(start)
        rng = self.rng
        for g, share in enumerate(self.profile.shares):
            idx = self._new_households(g, self.profile.population * self.scale * share, s, 1, False)
            if idx.size == 0:
                continue
            hh = self.p.hh[idx]
            uniq, inv = np.unique(hh, return_inverse=True)
            b = self.behaviour[g]
            dwell = rng.exponential(365.25 / max(b.leave, 0.02), uniq.size)[inv]
            arrival = (s - dwell).astype(np.int32)
            born_here = (arrival < self.p.birth[idx]) | ((g == cal.DE) & (rng.random(uniq.size) < 0.4)[inv])
            arrival = np.where(born_here, -1, arrival).astype(np.int32)
            self.p.cols["arrival"][idx] = arrival
            move_back = rng.exponential(365.25 / b.move, uniq.size)[inv]
            settled = np.maximum(np.where(arrival < 0, self.p.birth[idx], arrival), (s - move_back).astype(np.int32))
            registered = (rng.random(uniq.size) < (0.995 if g == cal.DE else b.register))[inv]
            r = idx[registered]
            cells = self.h.cell[self.p.hh[r]]
            addr = self.h.addr[self.p.hh[r]]
            for prefix in ("reg", "reg_f"):
                self.p.cols[prefix][r] = True
            self.p.cols["reg_cell"][r] = cells
            self.p.cols["reg_cell_f"][r] = cells
            self.p.cols["reg_addr"][r] = addr
            self.p.cols["reg_addr_f"][r] = addr
            self.p.cols["reg_zuzug"][r] = arrival[registered]
            self.p.cols["reg_einzug"][r] = settled[registered]
            # SGB II in steady state
            sgb = rng.random(uniq.size) < b.sgb2
            self.h.cols["sgb2"][uniq[sgb]] = True
        self._check_sgb2(s)

    # ---------------------------------------------------------------- memory
    def _hh_uniform(self) -> np.ndarray:
        """One uniform number per household held, from a draw over every household ever created
        (as before compaction existed): the random stream, hence the output, does not depend
        on which rows were dropped."""
        return uniform_by_id(self.rng, self.h.total, self.h.id)

    def hh_frailty(self) -> np.ndarray | None:
        """Catchability frailty of every household held (None when the world is homogeneous,
        `Assumptions.catchability_sd` = 0): the same households are missed by every list."""
        sd = self.assumptions.catchability_sd
        return frailty(self.h.id, sd, zlib.crc32(self.city.encode())) if sd > 0 else None

    def droppable(self) -> np.ndarray:
        """Persons who can produce no event, delivery row or truth count any more: gone (moved
        away or dead; nobody comes back), out of the register as recorded and as it will be
        (`reg`, `reg_f`), no event waiting to be recorded (`busy`: the last meldedatum given out).
        A pending office removal (`ava`) needs `reg_f`, so it cannot be pending here."""
        p = self.p
        return ~p.present & ~p.reg & ~p.reg_f & (p.busy <= self.today)

    def compact(self) -> int:
        """Drop droppable persons, and households that no remaining person belongs to, unless
        they sit at a problem property (an evacuation draws over every household at the
        address). Returns the number of persons dropped."""
        p, h = self.p, self.h
        drop = self.droppable()
        n_drop = int(drop.sum())
        if n_drop == 0:
            return 0
        remap_p = p.keep(~drop)
        for batch in self.pending:  # every waiting event belongs to a kept person
            batch["person"] = remap_p[batch["person"]]
            if (batch["person"] < 0).any():
                raise RuntimeError("compaction dropped a person with an event still to be recorded")
        keep_h = h.addr >= PROBLEM_ADDR
        keep_h[p.hh] = True
        remap_h = h.keep(keep_h)
        p.cols["hh"][: p.n] = remap_h[p.hh]
        return n_drop

    def _maybe_compact(self) -> None:
        if COMPACT_SHARE is not None and self.p.n and self.droppable().sum() > COMPACT_SHARE * self.p.n:
            self.compact()

    # ---------------------------------------------------------------- events
    def _emit(self, person, etype, edate, mdate, cell_alt=None, cell_neu=None, addr=None, herkunft=None):
        person = np.asarray(person, dtype=np.int64)
        n = person.size
        if n == 0:
            return
        # nothing generated in this month can have been recorded before it
        mdate = np.maximum(np.asarray(mdate, dtype=np.int32), self.p.busy[person] + 1)
        mdate = np.maximum(mdate, self.month_start)
        # a person with two events in one batch keeps their order: later ones move back
        order = np.argsort(person, kind="stable")
        ps = person[order]
        dup = np.flatnonzero(ps[1:] == ps[:-1]) + 1
        for i in dup:  # rare (a household generates one event per person)
            mdate[order[i]] = max(mdate[order[i]], mdate[order[i - 1]] + 1)
        self.p.cols["busy"][person] = mdate
        full = lambda v, dt, fill: (
            np.full(n, fill, dtype=dt) if v is None else np.broadcast_to(np.asarray(v, dtype=dt), (n,)).copy()
        )
        self.pending.append(
            {
                "person": person,
                "etype": full(etype, np.int8, 0),
                "edate": full(edate, np.int32, 0),
                "mdate": mdate,
                "cell_alt": full(cell_alt, np.int16, -1),
                "cell_neu": full(cell_neu, np.int16, -1),
                "addr": full(addr, np.int64, -1),
                "herkunft": full(herkunft, np.int32, -1),
            }
        )
        et = np.broadcast_to(np.asarray(etype), (n,))
        into = np.isin(et, ZU_TYPES)
        out = ~into & (et != EV["UMZUG"])
        moved = et == EV["UMZUG"]
        self.p.cols["reg_f"][person[into]] = True
        self.p.cols["reg_f"][person[out]] = False
        sel = into | moved
        self.p.cols["reg_cell_f"][person[sel]] = np.broadcast_to(np.asarray(cell_neu), (n,))[sel]
        self.p.cols["reg_addr_f"][person[sel]] = np.broadcast_to(np.asarray(addr), (n,))[sel]

    def _lag(self, n: int, kind: str) -> np.ndarray:
        rng = self.rng
        if kind == "zu":
            u = rng.random(n)
            lag = np.where(
                u < 0.7, 1 + rng.exponential(7, n), np.where(u < 0.92, rng.uniform(14, 60, n), rng.uniform(60, 150, n))
            )
        elif kind == "move":
            lag = np.where(rng.random(n) < 0.9, 1 + rng.exponential(10, n), rng.uniform(30, 120, n))
        elif kind == "fo":
            lag = rng.exponential(7, n)
        elif kind == "birth":
            lag = rng.uniform(3, 15, n)
        else:
            lag = rng.uniform(1, 10, n)
        return lag.astype(np.int32)

    def _inflow_types(self, persons: np.ndarray, late: bool) -> tuple[np.ndarray, np.ndarray]:
        """ZU_* type and herkunft code for registering persons."""
        rng = self.rng
        n = persons.size
        g = self.p.group[persons]
        abroad_p = np.array([b.abroad_in for b in self.behaviour])[g]
        u = rng.random(n)
        et = np.where(u < abroad_p, EV["ZU_AUSLAND"], EV["ZU_INLAND"]).astype(np.int8)
        if self.country == "DE":
            v = rng.random(n)
            et[v < 0.03] = EV["ZU_UNBEKANNT"]
            # a secondary residence becoming the main one: only for people who had one (Germans,
            # other EU citizens), never for late registrants (who had no registration at all)
            if not late:
                status = (v > 1 - cal.STATUS_NW_HW_SHARE) & np.isin(g, [cal.DE, cal.EU_SONST])
                et[status] = EV["STATUS_NW_HW"]
        return et, self._herkunft(persons, et)

    def _herkunft(self, persons: np.ndarray, et: np.ndarray) -> np.ndarray:
        rng = self.rng
        n = persons.size
        herk = np.full(n, -1, dtype=np.int32)
        inland = np.isin(et, [EV["ZU_INLAND"], EV["FO_INLAND"]])
        herk[inland] = rng.integers(0, len(self.inland), int(inland.sum()))
        abroad = np.isin(et, [EV["ZU_AUSLAND"], EV["FO_AUSLAND"]])
        nat = self.p.nat[persons].astype(np.int32)
        national = np.isin(self.nat_keys[nat], ["000", "148"])
        own = nat + len(self.inland)
        other = rng.choice([list(self.nat_keys).index(k) for k in ABROAD_NATIONALS], size=n) + len(self.inland)
        if self.country == "NL":  # a Dutch national comes from anywhere but the Netherlands
            other = np.where(
                self.nat_keys[other - len(self.inland)] == "148",
                list(self.nat_keys).index("000") + len(self.inland),
                other,
            )
        else:
            other = np.where(
                self.nat_keys[other - len(self.inland)] == "000",
                list(self.nat_keys).index("129") + len(self.inland),
                other,
            )
        pick = np.where(national | (rng.random(n) < 0.1), other, own)
        herk[abroad] = pick[abroad]
        return herk

    # ---------------------------------------------------------------- monthly step
    def step_month(self, year: int, month: int) -> dict:
        self._maybe_compact()  # before the month: last month's events are consumed by now
        d0, d1 = month_bounds(year, month)
        ndays = d1 - d0 + 1
        self.today = d1
        self.month_start = d0
        rng = self.rng
        p, h = self.p, self.h
        flows = {
            k: np.zeros(len(cal.GROUPS), dtype=np.int64)
            for k in ("arrivals", "departures", "births", "deaths", "registrations", "deregistrations")
        }

        def day(n):
            return d0 + (rng.random(n) * ndays).astype(np.int32)

        # deaths
        alive_here = np.flatnonzero(p.present)
        age = (d0 - p.birth[alive_here]) / 365.25
        q = np.minimum(0.5, np.exp(-10.3 + 0.094 * age)) / 12
        dead = alive_here[rng.random(alive_here.size) < q]
        when = day(dead.size)
        p.cols["present"][dead] = False
        p.cols["alive"][dead] = False
        p.cols["left"][dead] = when
        np.add.at(flows["deaths"], p.group[dead], 1)
        r = dead[p.reg_f[dead]]
        self._emit(
            r,
            EV["TOD"],
            when[p.reg_f[dead]],
            when[p.reg_f[dead]] + self._lag(r.size, "tod"),
            cell_alt=p.reg_cell_f[r],
            addr=p.reg_addr_f[r],
        )

        # departures (whole households)
        hh_present = np.zeros(h.n, dtype=bool)
        hh_present[p.hh[p.present]] = True
        hh_ids = np.flatnonzero(hh_present)
        hazard = np.array([b.leave for b in self.behaviour])[h.group[hh_ids]] / 12
        hazard = np.where(h.addr[hh_ids] >= PROBLEM_ADDR, hazard * 1.5, hazard)
        leaving = hh_ids[rng.random(hh_ids.size) < hazard]
        self._depart(leaving, d0, ndays, flows)

        # moves inside the city (whole households)
        hh_present[leaving] = False
        hh_ids = np.flatnonzero(hh_present)
        mv = np.array([b.move for b in self.behaviour])[h.group[hh_ids]] / 12
        movers = hh_ids[rng.random(hh_ids.size) < mv]
        self._move(movers, d0, ndays)

        # births
        women = np.flatnonzero(p.present & (p.sex == 1))
        age_w = (d0 - p.birth[women]) / 365.25
        fert = np.where(p.group[women] == cal.DE, 0.05, 0.075) / 12
        mothers = women[(age_w >= 18) & (age_w < 45) & (rng.random(women.size) < fert)]
        self._births(mothers, day(mothers.size), flows)

        # arrivals
        self._arrivals(year, month, d0, ndays, flows)

        # late registrations (household decision, all unregistered present members)
        unreg = np.flatnonzero(p.present & ~p.reg_f & (p.busy < d0))
        if unreg.size:
            hz = np.array([b.late_register for b in self.behaviour])[p.group[unreg]] / 12
            z = self.hh_frailty()
            if z is not None:
                hz = hz * z[p.hh[unreg]]
            u_hh = self._hh_uniform()
            late = unreg[u_hh[p.hh[unreg]] < hz]
            self._register(late, day(late.size), late=True)
            np.add.at(flows["registrations"], p.group[late], 1)

        # removals by the office (AVA / vow) that fall due; a few present persons wrongly too
        reg_present = np.flatnonzero(p.reg_f & p.present & (p.group != cal.DE))
        wrong = reg_present[rng.random(reg_present.size) < 0.01 / 12]
        p.cols["ava"][wrong] = np.maximum(day(wrong.size), p.birth[wrong])  # not before a birth this month
        due = np.flatnonzero(p.reg_f & (p.ava <= d1))
        when = np.maximum(p.ava[due], d0)
        self._emit(due, EV["AVA"], when, when, cell_alt=p.reg_cell_f[due], addr=p.reg_addr_f[due])
        p.cols["ava"][due] = NEVER
        np.add.at(flows["deregistrations"], p.group[due], 1)

        if month == 12:
            self.year_end_properties(d1)
        if "sgb2" in self.sources:
            self._check_sgb2(d0)
        if "wohnen" in self.sources:
            self._inspections(d0, ndays)
        contacts = self._counselling(d0, ndays) if "beratung" in self.sources else None
        events = self._record(d1)
        self.flows = flows
        return {"events": events, "contacts": contacts}

    def _depart(self, leaving_hh: np.ndarray, d0: int, ndays: int, flows) -> None:
        p, h, rng = self.p, self.h, self.rng
        if leaving_hh.size == 0:
            return
        mask = np.zeros(h.n, dtype=bool)
        mask[leaving_hh] = True
        who = np.flatnonzero(p.present & mask[p.hh])
        hh_day = np.zeros(h.n, dtype=np.int32)
        hh_day[leaving_hh] = d0 + (rng.random(leaving_hh.size) * ndays).astype(np.int32)
        # a child born this month leaves with its household, but not before it was born (a
        # December evacuation comes after the month's births)
        when = np.maximum(hh_day[p.hh[who]], p.birth[who])
        p.cols["present"][who] = False
        p.cols["left"][who] = when
        h.cols["sgb2"][leaving_hh] = False
        np.add.at(flows["departures"], p.group[who], 1)
        g = p.group[who]
        problem = h.addr[p.hh[who]] >= PROBLEM_ADDR
        u_hh = self._hh_uniform()[p.hh[who]]
        p_dereg = np.array([b.deregister for b in self.behaviour])[g] * np.where(problem, 0.2, 1.0)
        reg = p.reg_f[who]
        dereg = reg & (u_hh < p_dereg)
        # deregistration by the person
        d = who[dereg]
        abroad = rng.random(d.size) < np.array([b.abroad_out for b in self.behaviour])[p.group[d]]
        et = np.where(abroad, EV["FO_AUSLAND"], EV["FO_INLAND"]).astype(np.int8)
        if self.country == "DE":
            v = rng.random(d.size)
            et[v < 0.04] = EV["FO_UNBEKANNT"]
            et[(v > 1 - cal.STATUS_HW_NW_SHARE) & np.isin(p.group[d], [cal.DE, cal.EU_SONST])] = EV["STATUS_HW_NW"]
        self._emit(
            d,
            et,
            when[dereg],
            when[dereg] + self._lag(d.size, "fo"),
            cell_alt=p.reg_cell_f[d],
            addr=p.reg_addr_f[d],
            herkunft=self._herkunft(d, et),
        )
        np.add.at(flows["deregistrations"], p.group[d], 1)
        # the rest: removed by the office after a delay, or never
        stay = who[~dereg]
        gs = p.group[stay]
        by_office = rng.random(stay.size) < np.array([b.ava for b in self.behaviour])[gs]
        months = np.array([b.ava_delay_months for b in self.behaviour])[gs]
        months = np.where(problem[~dereg], months * 6, months)  # offices lag at problem houses
        if self.assumptions.ava_delay_factor != 1.0:
            months = months * self.assumptions.ava_delay_factor
        delay = np.maximum(90, rng.exponential(30.4 * months))
        p.cols["ava"][stay] = np.where(by_office, when[~dereg] + delay.astype(np.int32), NEVER)

    def _move(self, movers_hh: np.ndarray, d0: int, ndays: int, forced: bool = False) -> None:
        p, h, rng = self.p, self.h, self.rng
        if movers_hh.size == 0:
            return
        g = h.group[movers_hh]
        new_cell = h.cell[movers_hh].copy()
        elsewhere = rng.random(movers_hh.size) < 0.4
        for grp in np.unique(g[elsewhere]):
            sel = elsewhere & (g == grp)
            new_cell[sel] = rng.choice(len(self.cells), size=int(sel.sum()), p=self.cell_weights[grp])
        new_addr = self._normal_addr(new_cell)
        h.cols["cell"][movers_hh] = new_cell
        h.cols["addr"][movers_hh] = new_addr
        mask = np.zeros(h.n, dtype=bool)
        mask[movers_hh] = True
        who = np.flatnonzero(p.present & mask[p.hh] & p.reg_f)
        report = np.array([b.report_move for b in self.behaviour])[p.group[who]]
        u_hh = self._hh_uniform()[p.hh[who]]
        r = who[u_hh < report]
        hh_day = np.zeros(h.n, dtype=np.int32)
        hh_day[movers_hh] = d0 + (rng.random(movers_hh.size) * ndays).astype(np.int32)
        when = np.maximum(hh_day[p.hh[r]], p.birth[r])  # as in _depart: not before birth
        self._emit(
            r,
            EV["UMZUG"],
            when,
            when + self._lag(r.size, "move"),
            cell_alt=p.reg_cell_f[r],
            cell_neu=h.cell[p.hh[r]],
            addr=h.addr[p.hh[r]],
        )

    def _births(self, mothers: np.ndarray, when: np.ndarray, flows) -> None:
        p, rng = self.p, self.rng
        n = mothers.size
        if n == 0:
            return
        idx = p.append(
            {
                "hh": p.hh[mothers],
                "birth": when,
                "sex": np.where(rng.random(n) < 0.51, 0, 1).astype(np.int8),
                "nat": p.nat[mothers],
                "nat2": p.nat2[mothers],
                "group": p.group[mothers],
                "present": np.ones(n, bool),
                "arrival": np.full(n, -1, np.int32),
            },
            n,
        )
        np.add.at(flows["births"], p.group[idx], 1)
        reg = p.reg_f[mothers]
        r = idx[reg]
        self._emit(
            r,
            EV["GEBURT"],
            when[reg],
            when[reg] + self._lag(r.size, "birth"),
            cell_neu=p.reg_cell_f[mothers[reg]],
            addr=p.reg_addr_f[mothers[reg]],
        )

    def _arrivals(self, year: int, month: int, d0: int, ndays: int, flows) -> None:
        p = self.p
        stock = np.bincount(p.group[p.present], minlength=len(cal.GROUPS))
        new = []
        for g, b in enumerate(self.behaviour):
            # arrivals replace this month's departures and add the group's growth
            # (Germans: no growth beyond replacement; natural change aside)
            expected = flows["departures"][g] + (stock[g] * b.growth / 12 if g != cal.DE else 0.0)
            new.append(self._new_households(g, expected, d0, ndays, True))
        if f"{year}-{month:02d}" in cal.UKRAINE_WAVE["months"]:
            n = (
                self.profile.population
                * self.scale
                * cal.UKRAINE_WAVE["share_of_population"]
                / len(cal.UKRAINE_WAVE["months"])
            )
            new.append(
                self._new_households(cal.DRITT, n, d0, ndays, True, nat_override=list(self.nat_keys).index("166"))
            )
        idx = np.concatenate(new)
        if idx.size == 0:
            return
        np.add.at(flows["arrivals"], p.group[idx], 1)
        hh = p.hh[idx]
        u_hh = self._hh_uniform()[hh]
        p_reg = np.array([b.register for b in self.behaviour])[p.group[idx]]
        problem = self.h.addr[hh] >= PROBLEM_ADDR
        p_reg = np.where(problem, p_reg * 0.95, p_reg)
        reg = idx[u_hh < p_reg]
        self._register(reg, p.arrival[reg], late=False)
        np.add.at(flows["registrations"], p.group[reg], 1)

    def _register(self, persons: np.ndarray, edate: np.ndarray, late: bool) -> None:
        p, h = self.p, self.h
        if persons.size == 0:
            return
        et, herk = self._inflow_types(persons, late)
        mdate = edate + self._lag(persons.size, "zu")
        if late:  # a late registrant states the day of moving in, if it is not long ago
            # Someone who arrived (or a child born here to unregistered parents) this month can
            # register late in the same month, but the decision cannot precede the arrival or
            # birth, nor the date stated the birth (it did: a child born in early January got a
            # December date, birth year after the event's year - `geburtsjahr_not_in_future`
            # failed at 10 M events; and an arrival after the decision gave meldedatum < date).
            birth = p.birth[persons]
            decided = np.maximum(edate, np.maximum(birth, p.arrival[persons]))
            mdate = decided + self.rng.integers(0, 10, persons.size)
            recent = p.arrival[persons] >= decided - 2 * 365
            edate = np.where(recent, p.arrival[persons], decided - self.rng.integers(0, 30, persons.size))
            edate = np.maximum(edate, birth)
        cells = h.cell[p.hh[persons]]
        addr = h.addr[p.hh[persons]]
        self._emit(persons, et, edate, mdate, cell_neu=cells, addr=addr, herkunft=herk)
        p.cols["ava"][persons] = NEVER

    def _check_sgb2(self, d0: int) -> None:
        """Households enter and leave SGB II (needs a registered member aged 15-64 present)."""
        p, h = self.p, self.h
        eligible_p = p.present & p.reg_f
        age = (d0 - p.birth) / 365.25
        able = eligible_p & (age >= 15) & (age < 65)
        hh_ok = np.zeros(h.n, dtype=bool)
        hh_ok[p.hh[able]] = True
        h.cols["sgb2"][np.flatnonzero(~hh_ok)] = False
        share = np.array([b.sgb2 for b in self.behaviour])[h.group]
        if self.country != "DE":
            share[:] = 0.0
        exit_rate = 1 / 24
        entry = exit_rate * share / np.maximum(1 - share, 0.05)
        u = self._hh_uniform()
        on = h.sgb2
        start = hh_ok & ~on & (u < entry)
        stop = on & (u < exit_rate)
        h.cols["sgb2"][np.flatnonzero(start)] = True
        h.cols["sgb2"][np.flatnonzero(stop)] = False

    def sgb2_members(self, d: int) -> np.ndarray:
        """Persons in a Bedarfsgemeinschaft: present, registered members of an SGB II household."""
        p = self.p
        return np.flatnonzero(p.present & p.reg_f & self.h.sgb2[p.hh])

    def _counselling(self, d0: int, ndays: int) -> dict[str, np.ndarray]:
        p, rng = self.p, self.rng
        who = np.flatnonzero(p.present)
        rate = np.array([b.counselling for b in self.behaviour])[p.group[who]]
        unreg_factor = self.assumptions.counselling_unregistered_factor
        rate = rate * np.where(p.reg_f[who], 1.0, unreg_factor) * np.where(d0 - p.birth[who] < 16 * 365, 0.2, 1.0)
        z = self.hh_frailty()
        if z is not None:
            rate = rate * z[p.hh[who]]
        k = rng.poisson(rate)
        person = np.repeat(who, k)
        n = person.size
        registered = p.reg_f[person]
        u = rng.random(n)
        stelle = np.where(
            registered, np.where(u < 0.6, 0, np.where(u < 0.8, 1, 2)), np.where(u < 0.25, 0, np.where(u < 0.7, 1, 2))
        ).astype(np.int8)
        v = rng.random(n)
        said = np.where(v < 0.25, 2, np.where(v < 0.95, np.where(registered, 0, 1), np.where(registered, 1, 0))).astype(
            np.int8
        )
        return {"person": person, "date": d0 + (rng.random(n) * ndays).astype(np.int32), "stelle": stelle, "said": said}

    def _inspections(self, d0: int, ndays: int) -> None:
        """Each inhabited problem property is inspected about once a year."""
        p, h, rng = self.p, self.h, self.rng
        for i, pr in enumerate(self.properties):
            if not HOUSES_PEOPLE[pr.status] or rng.random() >= 1 / 12:
                continue
            addr = self._problem_addr(np.array([i]))[0]
            when = d0 + int(rng.integers(0, ndays))
            registered = np.flatnonzero(p.reg & (p.reg_addr == addr))
            living = np.flatnonzero(p.present & (h.addr[p.hh] == addr))
            found = living[rng.random(living.size) < 0.9]
            reg_here = np.zeros(p.n, dtype=bool)
            reg_here[registered] = True
            found_reg = found[reg_here[found]]
            found_unreg = found[~reg_here[found]]
            pr.last_check, pr.registered = when, int(registered.size)
            pr.found_registered, pr.found_unregistered = int(found_reg.size), int(found_unreg.size)
            self.inspections.append(
                {
                    "property": i,
                    "date": when,
                    "registered": registered.size,
                    "found_registered": found_reg.size,
                    "found_unregistered": found_unreg.size,
                    "residents": living.size,
                    "registered_present": int(p.present[registered].sum()),
                }
            )
            # registered but not found: the office starts a removal (AVA) within 1-4 months
            missing = registered[~np.isin(registered, found)]
            missing = missing[p.reg_f[missing] & (rng.random(missing.size) < 0.35)]
            p.cols["ava"][missing] = np.minimum(p.ava[missing], when + rng.integers(30, 120, missing.size))

    def year_end_properties(self, d: int) -> None:
        """Status changes of problem properties; an evacuated house is emptied."""
        rng = self.rng
        for i, pr in enumerate(self.properties):
            u = rng.random()
            if pr.status == 0 and u < 0.3:
                pr.status = 1
            elif pr.status == 1 and u < 0.15:
                pr.status = 2
                self._evacuate(i, d)
            elif pr.status == 2 and u < 0.5:
                pr.status = 3
            elif pr.status == 3 and u < 0.5:
                pr.status = 4
            pr.vacancy = pr.units if pr.status in (2, 3) else int(rng.integers(0, pr.units // 2 + 1))

    def _evacuate(self, i: int, d: int) -> None:
        addr = self._problem_addr(np.array([i]))[0]
        hh = np.flatnonzero(self.h.addr == addr)
        stays = hh[self.rng.random(hh.size) < 0.5]
        self._depart(
            hh[~np.isin(hh, stays)], d - 27, 28, {k: np.zeros(5, np.int64) for k in ("departures", "deregistrations")}
        )
        self._move(stays, d - 27, 28)

    # ---------------------------------------------------------------- recording
    def _record(self, d1: int) -> dict[str, np.ndarray]:
        """Events recorded by day d1 leave the buffer and update the recorded register."""
        if not self.pending:
            return {k: np.empty(0) for k in EVENT_FIELDS}
        buf = {k: np.concatenate([c[k] for c in self.pending]) for k in EVENT_FIELDS}
        due = buf["mdate"] <= d1
        self.pending = [{k: v[~due] for k, v in buf.items()}] if (~due).any() else []
        ev = {k: v[due] for k, v in buf.items()}
        order = np.lexsort((ev["person"], ev["edate"], ev["mdate"]))
        ev = {k: v[order] for k, v in ev.items()}
        p = self.p
        # apply in order: per person the last event decides (vectorised "last write wins")
        person, et = ev["person"], ev["etype"]
        into = np.isin(et, ZU_TYPES)
        moved = et == EV["UMZUG"]
        last = np.full(p.n, -1, dtype=np.int64)
        last[person] = np.arange(person.size)  # numpy keeps the last occurrence
        lp = np.flatnonzero(last >= 0)
        p.cols["reg"][lp] = into[last[lp]] | moved[last[lp]]
        for mask, fields in ((into | moved, False), (into, True)):
            idx = np.flatnonzero(mask)
            # the last setting event per person of this kind
            lastk = np.zeros(p.n, dtype=np.int64) - 1
            lastk[person[idx]] = idx
            q = np.flatnonzero(lastk >= 0)
            k = lastk[q]
            if not fields:
                p.cols["reg_cell"][q] = ev["cell_neu"][k]
                p.cols["reg_addr"][q] = ev["addr"][k]
                p.cols["reg_einzug"][q] = ev["edate"][k]
            else:
                p.cols["reg_zuzug"][q] = np.where(et[k] == EV["GEBURT"], -1, ev["edate"][k])
        return ev

    # ---------------------------------------------------------------- views
    def age_at(self, persons: np.ndarray, d: int) -> np.ndarray:
        """Completed years of age on day d (birthday reached when the day of the year is)."""
        return age_on(self.p.birth[persons], d)

    def cell_codes(self, d: int) -> np.ndarray:
        return geo.cell_codes(self.city, to_date(d))
