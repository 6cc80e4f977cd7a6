//! Unit tests of the window model: event sequences in, stacking, state and damage out.

use super::*;

fn info(id: WindowId, x: i32, y: i32, w: u32, h: u32) -> WindowInfo {
    WindowInfo {
        id,
        geometry: Geometry::new(x, y, w, h, 0),
        depth: 24,
        ..WindowInfo::default()
    }
}

fn mapped(id: WindowId, x: i32, y: i32, w: u32, h: u32) -> WindowInfo {
    WindowInfo {
        mapped: true,
        ..info(id, x, y, w, h)
    }
}

fn model_with(infos: Vec<WindowInfo>) -> WindowModel {
    let mut m = WindowModel::new(200, 100);
    m.add_existing(infos);
    m.take_screen_damage();
    m
}

fn configure(id: WindowId, g: Geometry, above: Option<WindowId>) -> Configure {
    Configure {
        id,
        geometry: g,
        above_sibling: above,
        override_redirect: false,
    }
}

#[test]
fn existing_windows_keep_query_tree_order_and_need_pixmaps_when_mapped() {
    let m = model_with(vec![
        mapped(1, 0, 0, 10, 10),
        info(2, 5, 5, 10, 10),
        mapped(3, 0, 0, 1, 1),
    ]);
    assert_eq!(m.stacking_ids(), &[1, 2, 3]);
    assert!(m.get(1).is_some_and(|w| w.needs_pixmap && w.is_visible()));
    assert!(m.get(2).is_some_and(|w| !w.needs_pixmap && !w.is_visible()));
}

#[test]
fn new_model_damages_the_whole_screen() {
    let mut m = WindowModel::new(200, 100);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(0, 0, 200, 100)]);
    assert!(m.take_screen_damage().is_empty());
}

#[test]
fn create_goes_on_top_unmapped_and_map_damages_extents() {
    let mut m = model_with(vec![mapped(1, 0, 0, 10, 10)]);
    m.handle_create(mapped(2, 20, 30, 40, 50));
    assert_eq!(m.stacking_ids(), &[1, 2]);
    assert!(
        m.take_screen_damage().is_empty(),
        "an unmapped window damages nothing"
    );
    m.handle_map(2);
    let w = m.get(2).expect("tracked");
    assert!(w.needs_pixmap);
    assert_eq!(w.content_damage.rects(), &[Rect::new(0, 0, 40, 50)]);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(20, 30, 40, 50)]);
}

#[test]
fn unmap_and_destroy_damage_the_old_extents() {
    let mut m = model_with(vec![mapped(1, 10, 10, 10, 10), mapped(2, 50, 50, 5, 5)]);
    m.handle_unmap(1);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(10, 10, 10, 10)]);
    assert!(!m.get(1).is_some_and(Window::is_visible));
    m.handle_destroy(2);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(50, 50, 5, 5)]);
    assert_eq!(m.stacking_ids(), &[1]);
    m.handle_destroy(2);
    m.handle_map(99);
    assert!(
        m.take_screen_damage().is_empty(),
        "events for unknown windows are ignored"
    );
}

#[test]
fn configure_moves_damage_old_and_new_and_resize_renames_pixmap() {
    let mut m = model_with(vec![mapped(1, 0, 0, 10, 10)]);
    m.get_mut(1).expect("tracked").needs_pixmap = false;
    m.handle_configure(configure(1, Geometry::new(100, 0, 10, 10, 0), None));
    assert_eq!(m.take_screen_damage().area(), 200);
    assert!(
        !m.get(1).is_some_and(|w| w.needs_pixmap),
        "a move keeps the pixmap"
    );
    m.handle_configure(configure(1, Geometry::new(100, 0, 20, 10, 0), None));
    assert!(
        m.get(1).is_some_and(|w| w.needs_pixmap),
        "a resize needs a new pixmap"
    );
}

#[test]
fn configure_restacks_above_sibling_or_to_the_bottom() {
    let mut m = model_with(vec![
        info(1, 0, 0, 1, 1),
        info(2, 0, 0, 1, 1),
        info(3, 0, 0, 1, 1),
    ]);
    let g = Geometry::new(0, 0, 1, 1, 0);
    m.handle_configure(configure(3, g, Some(1)));
    assert_eq!(m.stacking_ids(), &[1, 3, 2]);
    m.handle_configure(configure(2, g, None));
    assert_eq!(m.stacking_ids(), &[2, 1, 3]);
    m.handle_configure(configure(2, g, Some(3)));
    assert_eq!(m.stacking_ids(), &[1, 3, 2]);
    m.handle_configure(configure(1, g, Some(77)));
    assert_eq!(m.stacking_ids(), &[3, 2, 1], "unknown sibling: top");
}

#[test]
fn restack_of_a_visible_window_damages_it() {
    let mut m = model_with(vec![mapped(1, 0, 0, 10, 10), mapped(2, 5, 5, 10, 10)]);
    let g1 = m.get(1).expect("tracked").info.geometry;
    m.handle_configure(configure(1, g1, Some(2)));
    assert_eq!(m.stacking_ids(), &[2, 1]);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(0, 0, 10, 10)]);
}

#[test]
fn reparent_into_a_frame_leaves_and_back_to_root_returns_on_top() {
    let mut m = model_with(vec![mapped(1, 0, 0, 10, 10), mapped(2, 0, 0, 10, 10)]);
    m.handle_reparent(1, None);
    assert_eq!(m.stacking_ids(), &[2]);
    m.handle_reparent(1, Some(mapped(1, 3, 3, 10, 10)));
    assert_eq!(m.stacking_ids(), &[2, 1]);
    assert!(m.get(1).is_some_and(|w| w.needs_pixmap));
}

#[test]
fn circulate_moves_to_top_or_bottom() {
    let mut m = model_with(vec![
        info(1, 0, 0, 1, 1),
        info(2, 0, 0, 1, 1),
        info(3, 0, 0, 1, 1),
    ]);
    m.handle_circulate(1, Place::Top);
    assert_eq!(m.stacking_ids(), &[2, 3, 1]);
    m.handle_circulate(1, Place::Bottom);
    assert_eq!(m.stacking_ids(), &[1, 2, 3]);
}

#[test]
fn input_only_windows_are_tracked_for_stacking_but_never_visible() {
    let mut m = model_with(vec![WindowInfo {
        input_only: true,
        ..mapped(1, 0, 0, 10, 10)
    }]);
    assert!(!m.get(1).is_some_and(Window::is_visible));
    m.handle_damage(1, &[Rect::new(0, 0, 5, 5)]);
    assert!(m.take_screen_damage().is_empty());
}

#[test]
fn opacity_set_changed_and_deleted() {
    let mut m = model_with(vec![info(1, 0, 0, 10, 10)]);
    m.handle_opacity(1, Some(0x8000_0000));
    assert!(
        m.take_screen_damage().is_empty(),
        "unmapped: no damage, but remembered"
    );
    m.handle_map(1);
    let w = m.get(1).expect("tracked");
    assert!(!w.is_opaque());
    assert!((w.opacity() - 0.5).abs() < 0.01);
    m.take_screen_damage();
    m.handle_opacity(1, None);
    assert!(m.get(1).is_some_and(Window::is_opaque));
    assert_eq!(m.take_screen_damage().area(), 100);
}

#[test]
fn argb_windows_are_not_opaque() {
    let m = model_with(vec![WindowInfo {
        argb: true,
        depth: 32,
        ..mapped(1, 0, 0, 4, 4)
    }]);
    assert!(!m.get(1).is_some_and(Window::is_opaque));
}

#[test]
fn damage_is_translated_by_border_and_position_and_clipped() {
    let mut m = model_with(vec![WindowInfo {
        geometry: Geometry::new(10, 20, 30, 30, 2),
        ..mapped(1, 0, 0, 0, 0)
    }]);
    m.get_mut(1).expect("tracked").content_damage.clear();
    m.handle_damage(1, &[Rect::new(0, 0, 4, 4), Rect::new(25, 25, 100, 100)]);
    let w = m.get(1).expect("tracked");
    assert_eq!(
        w.content_damage.rects(),
        &[Rect::new(2, 2, 4, 4), Rect::new(27, 27, 7, 7)]
    );
    assert_eq!(
        m.take_screen_damage().rects(),
        &[Rect::new(12, 22, 4, 4), Rect::new(37, 47, 7, 7)]
    );
}

#[test]
fn screen_damage_is_clipped_to_the_screen_and_root_resize_damages_all() {
    let mut m = model_with(vec![mapped(1, 190, 90, 50, 50)]);
    m.handle_unmap(1);
    assert_eq!(
        m.take_screen_damage().rects(),
        &[Rect::new(190, 90, 10, 10)]
    );
    m.handle_root_resize(300, 300);
    assert_eq!(m.take_screen_damage().rects(), &[Rect::new(0, 0, 300, 300)]);
}

#[test]
fn ignored_windows_never_enter() {
    let mut m = model_with(vec![]);
    m.ignore(5);
    m.handle_create(info(5, 0, 0, 1, 1));
    assert!(m.is_empty());
}

#[test]
fn shape_is_stored_in_pixmap_coordinates() {
    let mut m = model_with(vec![WindowInfo {
        geometry: Geometry::new(0, 0, 10, 10, 1),
        ..mapped(1, 0, 0, 0, 0)
    }]);
    m.handle_shape(1, Some(vec![Rect::new(0, 0, 5, 5)]));
    assert_eq!(
        m.get(1).and_then(|w| w.bounding_shape.clone()),
        Some(vec![Rect::new(1, 1, 5, 5)])
    );
}

#[test]
fn shape_known_on_arrival_is_stored_in_pixmap_coordinates_too() {
    let m = model_with(vec![WindowInfo {
        geometry: Geometry::new(0, 0, 10, 10, 2),
        bounding_shape: Some(vec![Rect::new(0, 0, 5, 5)]),
        ..mapped(1, 0, 0, 0, 0)
    }]);
    assert_eq!(
        m.get(1).and_then(|w| w.bounding_shape.clone()),
        Some(vec![Rect::new(2, 2, 5, 5)])
    );
}

#[test]
fn shape_follows_the_window_origin_when_the_border_width_changes() {
    let mut m = model_with(vec![WindowInfo {
        geometry: Geometry::new(0, 0, 10, 10, 4),
        ..mapped(1, 0, 0, 0, 0)
    }]);
    m.handle_shape(1, Some(vec![Rect::new(0, 0, 5, 5)]));
    m.handle_configure(configure(1, Geometry::new(0, 0, 10, 10, 1), None));
    assert_eq!(
        m.get(1).and_then(|w| w.bounding_shape.clone()),
        Some(vec![Rect::new(1, 1, 5, 5)])
    );
}

#[test]
fn the_compositors_own_windows_keep_their_place_in_the_stack_but_are_not_windows() {
    let mut m = WindowModel::new(200, 100);
    m.ignore(9);
    m.add_existing(vec![mapped(1, 0, 0, 10, 10), info(9, -1, -1, 1, 1)]);
    m.handle_create(info(2, 0, 0, 10, 10));
    m.handle_create(info(3, 0, 0, 10, 10));
    assert_eq!(m.stacking_ids(), &[1, 9, 2, 3]);
    assert_eq!(m.len(), 3);
    assert!(m.stacking().all(|w| w.id() != 9));
    // A move of the window just above the compositor's own keeps it below 3.
    let moved = Geometry::new(50, 50, 10, 10, 0);
    m.handle_configure(configure(2, moved, Some(9)));
    assert_eq!(m.stacking_ids(), &[1, 9, 2, 3]);
    m.handle_configure(configure(3, moved, Some(9)));
    assert_eq!(m.stacking_ids(), &[1, 9, 3, 2]);
}
