"""Coordinate reference systems used by xiaozhen.

All distances and areas are computed in one equal-area projected CRS in metres; WGS84 appears only
at the edges (bundled input, web maps). The default is an Albers equal-area conic on the WGS84
datum with standard parallels 27.5° N and 30.5° N and central meridian 120° E, which brackets
Zhejiang (27.0°–31.2° N) and keeps areal distortion there below 0.1 %.
"""

from __future__ import annotations

from pyproj import CRS

from xiaozhen.errors import CRSError

__all__ = ["EQUAL_AREA_CRS", "WGS84", "require_projected_metres"]

#: Equal-area CRS (metres) for every area and distance computation in Zhejiang.
EQUAL_AREA_CRS = CRS.from_proj4(
    "+proj=aea +lat_0=0 +lon_0=120 +lat_1=27.5 +lat_2=30.5 +x_0=0 +y_0=0 "
    "+datum=WGS84 +units=m +no_defs"
)

#: Geographic WGS84, for input and web output only.
WGS84 = CRS.from_epsg(4326)


def require_projected_metres(crs: object, *, parameter: str) -> CRS:
    """Return ``crs`` as a :class:`pyproj.CRS` if it is projected in metres, else raise.

    Parameters
    ----------
    crs
        Anything :meth:`pyproj.CRS.from_user_input` accepts.
    parameter
        Name of the argument or layer, used in the error message.
    """
    if crs is None:
        raise CRSError(
            f"{parameter}: no coordinate reference system was given. Set one on the data "
            "(e.g. GeoDataFrame.set_crs) or pass target_crs, a projected CRS in metres."
        )
    parsed = CRS.from_user_input(crs)
    if not parsed.is_projected:
        raise CRSError(
            f"{parameter}: CRS {parsed.name!r} is geographic (degrees); distances and areas need "
            "a projected CRS in metres. Reproject first, e.g. to xiaozhen.region.EQUAL_AREA_CRS."
        )
    units = {axis.unit_name for axis in parsed.axis_info}
    if not units <= {"metre", "meter"}:
        raise CRSError(
            f"{parameter}: CRS {parsed.name!r} uses units {sorted(units)}, not metres. "
            "Reproject to a CRS in metres."
        )
    return parsed
